package dev.overlay.cluster;

import dev.overlay.gateway.EventLog;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * This gateway's lease and id in etcd, and whether etcd answers. The lease carries every key the
 * gateway writes, and is renewed a few times per TTL; a renewal that fails says etcd is out of
 * reach (logged at once, then once a minute while it lasts); a renewal that finds the lease gone
 * (this gateway was cut off for longer than its TTL, so the others have dropped it) makes the
 * agent register again under a new lease. Runs on the agent's thread.
 */
final class Registration {
    static final long UNREACHABLE_LOG_NANOS = TimeUnit.MINUTES.toNanos(1);

    interface Listener {
        /** A lease was granted and an id claimed: publish everything again under it. */
        void registered(long lease, int id);

        /** etcd answered again after being out of reach. */
        void reachable();
    }

    private final Etcd etcd;
    private final ClusterKeys keys;
    private final String name;
    private final long ttlSeconds;
    private final ScheduledExecutorService executor;
    private final EventLog log;
    private final Listener listener;
    private long lease;
    private int id;
    private boolean registering;
    private boolean closed;
    private boolean reachable = true;
    private long unreachableSince;
    private long lastUnreachableLog;
    long unreachableLogs;
    long registrations;
    /** Monotonic nanoseconds; a test's clock in RegistrationTest. */
    LongSupplier clock = System::nanoTime;

    Registration(Etcd etcd, ClusterKeys keys, String name, long ttlSeconds, ScheduledExecutorService executor,
                 EventLog log, Listener listener) {
        this.etcd = etcd;
        this.keys = keys;
        this.name = name;
        this.ttlSeconds = ttlSeconds;
        this.executor = executor;
        this.log = log;
        this.listener = listener;
    }

    long lease() {
        return lease;
    }

    int id() {
        return id;
    }

    boolean reachable() {
        return reachable;
    }

    boolean registered() {
        return lease != 0 && id != 0;
    }

    /** Registers now and renews from then on. */
    void start() {
        register();
        long every = Math.max(500, ttlSeconds * 1000 / 3);
        executor.scheduleWithFixedDelay(this::renew, every, every, TimeUnit.MILLISECONDS);
    }

    private void register() {
        if (closed || registering) {
            return;
        }
        registering = true;
        lease = 0;
        etcd.grant(ttlSeconds)
                .thenCompose(l -> claim(l, id).thenApply(n -> new long[] {l, n}))
                .whenCompleteAsync((granted, error) -> {
                    registering = false;
                    if (closed) {
                        return;
                    }
                    if (error != null) {
                        failed(error);
                        executor.schedule(this::register, 2, TimeUnit.SECONDS);
                        return;
                    }
                    succeeded();
                    lease = granted[0];
                    id = (int) granted[1];
                    registrations++;
                    log.info("cluster-registered", "lease", Long.toHexString(lease), "id", id, "ttl", ttlSeconds);
                    listener.registered(lease, id);
                }, executor);
    }

    /** Claims {@code preferred} if it is free, else the lowest free id, under {@code lease}. */
    private CompletableFuture<Long> claim(long lease, int preferred) {
        return etcd.range(keys.ids(), 0).thenCompose(range -> {
            java.util.Set<Integer> taken = new java.util.HashSet<>();
            for (Etcd.Entry e : range.entries()) {
                String leaf = ClusterKeys.leaf(e.key(), keys.ids());
                try {
                    taken.add(Integer.parseInt(leaf));
                } catch (NumberFormatException ignored) {
                    // not one of ours
                }
            }
            int candidate = preferred != 0 && !taken.contains(preferred) ? preferred : 0;
            for (int n = 1; candidate == 0 && n <= KeySchedule.MAX_ID; n++) {
                if (!taken.contains(n)) {
                    candidate = n;
                }
            }
            if (candidate == 0) {
                throw new CompletionException(new IllegalStateException("every id 1..2047 is taken"));
            }
            int chosen = candidate;
            return etcd.create(keys.id(chosen), name, lease)
                    .thenCompose(won -> won ? CompletableFuture.completedFuture((long) chosen) : claim(lease, 0));
        });
    }

    private void renew() {
        if (closed || registering) {
            return;
        }
        if (lease == 0) {
            register();
            return;
        }
        long mine = lease;
        etcd.keepAliveOnce(mine).whenCompleteAsync((ttl, error) -> {
            if (closed || mine != lease) {
                return;
            }
            if (error != null) {
                failed(error);
                return;
            }
            succeeded();
            if (ttl <= 0) {
                log.warning("cluster-lease-lost", "lease", Long.toHexString(mine),
                        "reason", "expired while etcd was out of reach; registering again");
                register();
            }
        }, executor);
    }

    /** A request to etcd failed: say so at once, then at most once a minute while it lasts. */
    void failed(Throwable error) {
        long now = clock.getAsLong();
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (reachable) {
            reachable = false;
            unreachableSince = now;
            lastUnreachableLog = now;
            unreachableLogs++;
            log.warning("cluster-etcd-unreachable", "endpoints", etcd.endpoints(), "reason", reason(cause),
                    "action", "forwarding with the peers, SAs and FDB entries known so far");
        } else if (now - lastUnreachableLog >= UNREACHABLE_LOG_NANOS) {
            lastUnreachableLog = now;
            unreachableLogs++;
            log.warning("cluster-etcd-unreachable", "endpoints", etcd.endpoints(), "reason", reason(cause),
                    "for", TimeUnit.NANOSECONDS.toSeconds(now - unreachableSince) + "s");
        }
    }

    void succeeded() {
        if (!reachable) {
            reachable = true;
            log.info("cluster-etcd-reachable", "after",
                    TimeUnit.NANOSECONDS.toSeconds(clock.getAsLong() - unreachableSince) + "s");
            listener.reachable();
        }
    }

    private static String reason(Throwable t) {
        String m = t.getMessage();
        if (t instanceof java.util.concurrent.TimeoutException) {
            return "no answer within " + Etcd.DEADLINE.toSeconds() + "s";
        }
        return m == null ? t.getClass().getSimpleName() : m.lines().findFirst().orElse(m);
    }

    /** Stops renewing; with {@code leave}, revokes the lease so every key of this gateway goes at once. */
    CompletableFuture<Void> close(boolean leave) {
        closed = true;
        if (leave && lease != 0) {
            return etcd.revoke(lease).exceptionally(e -> null);
        }
        return CompletableFuture.completedFuture(null);
    }
}
