package dev.overlay.cluster;

import dev.overlay.config.ClusterConfig;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.lease.NoSuchLeaseException;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.SSLException;

/**
 * The few etcd v3 operations the agent needs, over jetcd, each with a deadline so a dead
 * cluster is a failed future, never a hung thread. Keys and values are UTF-8 text, so what
 * {@code etcdctl get --prefix} prints is what we wrote.
 */
final class Etcd implements AutoCloseable {
    /** How long one request may take before the agent counts etcd as unreachable. */
    static final Duration DEADLINE = Duration.ofSeconds(3);
    /**
     * jetcd, gRPC and vert.x log through slf4j into java.util.logging; while etcd is down they
     * would log every reconnect attempt. The agent says so itself, once a minute. Held here:
     * java.util.logging keeps loggers only weakly.
     */
    private static final List<Logger> QUIET = new ArrayList<>();

    static {
        for (String name : List.of("io.etcd", "io.grpc", "io.vertx", "io.netty.handler.codec.http2")) {
            Logger l = Logger.getLogger(name);
            l.setLevel(Level.SEVERE);
            QUIET.add(l);
        }
    }

    /** One key as read: its text, value, and the revisions etcd gave it. */
    record Entry(String key, String value, long createRevision, long modRevision, long lease) {
        static Entry of(KeyValue kv) {
            return new Entry(kv.getKey().toString(StandardCharsets.UTF_8), kv.getValue().toString(StandardCharsets.UTF_8),
                    kv.getCreateRevision(), kv.getModRevision(), kv.getLease());
        }
    }

    /** The keys under a prefix at one revision. */
    record Range(List<Entry> entries, long revision) {
    }

    private final Client client;
    private final String endpoints;
    private final Duration deadline;

    Etcd(ClusterConfig config) throws SSLException {
        this(config, DEADLINE);
    }

    /** {@code deadline}: per request; the scale simulation, which queues thousands at once, waits longer. */
    Etcd(ClusterConfig config, Duration deadline) throws SSLException {
        this.deadline = deadline;
        this.endpoints = String.join(",", config.etcd().stream().map(URI::toString).toList());
        ClientBuilder b = Client.builder().endpoints(config.etcd().toArray(URI[]::new))
                .connectTimeout(Duration.ofSeconds(2))
                .keepaliveTime(Duration.ofSeconds(5)).keepaliveTimeout(Duration.ofSeconds(3))
                .retryMaxDuration(deadline);
        if (config.tls().isPresent()) {
            ClusterConfig.Tls tls = config.tls().get();
            b.sslContext(ssl -> {
                tls.ca().ifPresent(ca -> ssl.trustManager(ca.toFile()));
                if (tls.cert().isPresent()) {
                    ssl.keyManager(tls.cert().get().toFile(), tls.key().orElseThrow().toFile());
                }
            });
        } else if (config.etcd().stream().anyMatch(u -> "https".equals(u.getScheme()))) {
            b.sslContext(ssl -> { });
        }
        this.client = b.build();
    }

    static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    private <T> CompletableFuture<T> timed(CompletableFuture<T> f) {
        return f.orTimeout(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Every key under {@code prefix}, at {@code revision} (0: the newest). */
    CompletableFuture<Range> range(String prefix, long revision) {
        GetOption.Builder o = GetOption.builder().isPrefix(true);
        if (revision > 0) {
            o.withRevision(revision);
        }
        return timed(client.getKVClient().get(bytes(prefix), o.build())).thenApply(Etcd::range);
    }

    private static Range range(GetResponse r) {
        List<Entry> out = new ArrayList<>(r.getKvs().size());
        r.getKvs().forEach(kv -> out.add(Entry.of(kv)));
        return new Range(out, r.getHeader().getRevision());
    }

    /** Puts {@code key} under {@code lease} (0: none); the revision the put made. */
    CompletableFuture<Long> put(String key, String value, long lease) {
        PutOption.Builder o = PutOption.builder();
        if (lease != 0) {
            o.withLeaseId(lease);
        }
        return timed(client.getKVClient().put(bytes(key), bytes(value), o.build()))
                .thenApply(r -> r.getHeader().getRevision());
    }

    CompletableFuture<Long> delete(String key) {
        return timed(client.getKVClient().delete(bytes(key))).thenApply(r -> r.getHeader().getRevision());
    }

    CompletableFuture<Long> deletePrefix(String prefix) {
        return timed(client.getKVClient().delete(bytes(prefix), DeleteOption.builder().isPrefix(true).build()))
                .thenApply(r -> r.getHeader().getRevision());
    }

    /** Creates {@code key} under {@code lease} only if it does not exist: true when this call created it. */
    CompletableFuture<Boolean> create(String key, String value, long lease) {
        return timed(client.getKVClient().txn()
                .If(new Cmp(bytes(key), Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
                .Then(Op.put(bytes(key), bytes(value), PutOption.builder().withLeaseId(lease).build()))
                .commit()).thenApply(r -> r.isSucceeded());
    }

    CompletableFuture<Long> grant(long ttlSeconds) {
        return timed(client.getLeaseClient().grant(ttlSeconds)).thenApply(r -> r.getID());
    }

    /**
     * Renews {@code lease} once: its remaining TTL in seconds, or 0 when etcd no longer has it
     * (it expired while this gateway could not reach etcd).
     */
    CompletableFuture<Long> keepAliveOnce(long lease) {
        return timed(client.getLeaseClient().keepAliveOnce(lease)).handle((r, e) -> {
            if (e == null) {
                return r.getTTL();
            }
            Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof NoSuchLeaseException || (cause instanceof EtcdException ee
                    && ee.getErrorCode() == ErrorCode.NOT_FOUND) || String.valueOf(cause.getMessage()).contains("lease not found")) {
                return 0L;
            }
            throw cause instanceof RuntimeException re ? re : new java.util.concurrent.CompletionException(cause);
        });
    }

    CompletableFuture<Void> revoke(long lease) {
        return timed(client.getLeaseClient().revoke(lease)).thenApply(r -> null);
    }

    /** Compacts history up to {@code revision}: the tests' way to make a resuming watch fall behind. */
    CompletableFuture<Void> compact(long revision) {
        return timed(client.getKVClient().compact(revision)).thenApply(r -> null);
    }

    /** The configured endpoints, for log lines. */
    String endpoints() {
        return endpoints;
    }

    Client client() {
        return client;
    }

    @Override
    public void close() {
        client.close();
    }
}
