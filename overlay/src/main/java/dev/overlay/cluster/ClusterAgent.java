package dev.overlay.cluster;

import dev.overlay.config.ClusterConfig;
import dev.overlay.config.ConfigErrors;
import dev.overlay.config.ConfigLoader;
import dev.overlay.config.ConfigResult;
import dev.overlay.config.OverlayConfig;
import dev.overlay.datapath.Topology;
import dev.overlay.gateway.EventLog;
import dev.overlay.gateway.Gateway;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/**
 * Cluster mode's agent beside a running {@link Gateway}: registers it in etcd, watches the
 * other gateways, their FDB announcements and acks, and turns all of it into the effective
 * config ({@link Planner}) that it hands to {@link Gateway#reload(OverlayConfig)}, the same path a
 * SIGHUP takes, so only what changed is touched. Remote FDB entries go straight into the tenants'
 * FDBs ({@link FdbSync}), without a reload. The datapath never waits on etcd: everything here runs
 * on the agent's own thread, and while etcd is out of reach the gateway forwards with what it has.
 *
 * <pre>{@code
 * Gateway gw = Gateway.start(config);
 * ClusterAgent agent = ClusterAgent.start(gw, config);   // returns at once; joins in the background
 * agent.close();                                         // leaves: the others drop it at once
 * gw.close();
 * }</pre>
 *
 * <p>A little past 500 lines: this is the one thread and the state it owns (registration, the
 * first read, the watches, planning, our record, rollovers, SIGHUP); what it drives lives in
 * classes of their own ({@link ClusterView}, {@link Planner}, {@link Announcer}, {@link Acker},
 * {@link Registration}, {@link SaReadings}).
 */
public final class ClusterAgent implements AutoCloseable {
    /** How long the agent gathers events before it plans again. */
    static final long SETTLE_MILLIS = 20;
    /** How long past its grace period a rolled generation may stay while a sender still uses it. */
    static final long RETIRE_DEADLINE_SECONDS = 60;

    /**
     * What the agent knows, for tests, the demo and logs.
     *
     * @param ready "peer/tenant" pairs this gateway sends to (acknowledged, in the flood list)
     * @param members gateways registered in etcd, this one included
     */
    public record Status(boolean registered, boolean etcdReachable, int id, String publicKeyId, long generation, Set<String> ready,
                         Set<String> members, long rollovers, long reloads, long watchRestarts, long watchResyncs,
                         long unreachableLogs, long registrations, long fdbChanges) {
    }

    private final Gateway gateway;
    private final ClusterConfig cluster;
    private final ClusterKeys keys;
    private final EventLog log;
    private final ScheduledExecutorService executor;
    private final Etcd etcd;
    private final Self self;
    private final Planner planner;
    private final SequenceHistory history = new SequenceHistory();
    private final Registration registration;
    private final ClusterView view;
    private final Announcer announcer;
    private final Acker acker;
    private final List<ResumingWatch> watches = new ArrayList<>();
    private OverlayConfig file;
    private Planner.Plan applied;
    private OverlayConfig refused;
    private Set<String> problems = Set.of();
    /** The record etcd has, as last confirmed, and whether a put is in flight. */
    private Records.MemberRecord published;
    private boolean publishing;
    private boolean pendingInstalled;
    private boolean synced;
    private boolean rollRequested;
    private ScheduledFuture<?> settle;
    private boolean closed;
    /** The status as of the last tick, for the metrics endpoint (which must not wait on this thread). */
    private volatile Status lastStatus;
    private final java.util.concurrent.atomic.AtomicBoolean stopped = new java.util.concurrent.atomic.AtomicBoolean();
    private long rollovers;
    private long reloads;
    private long fdbChanges;

    private ClusterAgent(Gateway gateway, OverlayConfig file) throws SSLException {
        this.gateway = gateway;
        this.file = file;
        this.cluster = file.gateway().cluster().orElseThrow(() -> new IllegalArgumentException("config: no gateway.cluster"));
        this.keys = new ClusterKeys(cluster.prefix());
        this.log = new EventLog(file.gateway().name());
        this.executor = Executors.newSingleThreadScheduledExecutor(
                new DefaultThreadFactory("overlay-" + file.gateway().name() + "-cluster", true));
        this.etcd = new Etcd(cluster);
        this.self = new Self(file, KeySchedule.generate());
        self.assignSlots(file);
        this.planner = new Planner(self);
        this.view = new ClusterView(keys, self.name, log, new ClusterView.Listener() {
            @Override
            public void ownRecordGone() {
                published = null; // deleted behind our back while our lease lives: put it back
            }

            @Override
            public void rekeyRequested(long revision) {
                rollRequested = true;
                log.info("cluster-rekey-requested", "by", keys.rekey(), "revision", revision);
            }
        });
        this.registration = new Registration(etcd, keys, self.name, cluster.leaseSeconds(), executor, log,
                new Registration.Listener() {
                    @Override
                    public void registered(long lease, int id) {
                        onRegistered(id);
                    }

                    @Override
                    public void reachable() {
                        reconcileSoon();
                    }
                });
        this.announcer = new Announcer(etcd, keys, self.name, view.fdb, registration, executor);
        this.acker = new Acker(etcd, keys, self.name, self.publicKeyId(), registration, executor, log);
    }

    /**
     * Starts the agent for a gateway started from {@code file} (which has a {@code gateway.cluster}).
     * Returns at once: registration, the first read and every later change happen in the
     * background, retried while etcd is out of reach.
     *
     * @throws IllegalArgumentException when the TLS files cannot be used, in one sentence
     */
    public static ClusterAgent start(Gateway gateway, OverlayConfig file) {
        ClusterAgent agent;
        try {
            agent = new ClusterAgent(gateway, file);
        } catch (SSLException e) {
            throw new IllegalArgumentException("gateway.cluster.tls: " + e.getMessage(), e);
        }
        agent.executor.execute(agent::begin);
        gateway.addMetrics(r -> ClusterMetrics.register(r, () -> agent.lastStatus));
        return agent;
    }

    private void begin() {
        log.info("cluster-starting", "etcd", etcd.endpoints(), "prefix", cluster.prefix(),
                "public-key", self.publicKeyId(), "psk", cluster.hasPsk() ? "set" : "none",
                "algorithm", cluster.algorithm().configName());
        registration.start();
        executor.scheduleWithFixedDelay(this::tick, 500, 500, TimeUnit.MILLISECONDS);
        if (cluster.rekeySeconds() > 0) {
            executor.scheduleWithFixedDelay(() -> rollRequested = true, cluster.rekeySeconds(), cluster.rekeySeconds(),
                    TimeUnit.SECONDS);
        }
    }

    // ---- registration and the first read -------------------------------------------------

    private void onRegistered(int id) {
        self.id = id;
        self.since.clear();
        published = null;
        announcer.forget(); // our announcements hung on the old lease
        acker.forget();
        publishRecord();
        if (!synced) {
            sync();
        }
    }

    /** Reads members, FDB announcements, our acks and the rekey key at one revision, then watches from there. */
    private void sync() {
        etcd.range(keys.members(), 0).thenCompose(m -> etcd.range(keys.fdb(), m.revision())
                .thenCompose(f -> etcd.range(keys.acksTo(self.name), m.revision())
                        .thenCompose(a -> etcd.range(keys.rekey(), m.revision())
                                .thenApply(r -> List.of(m, f, a, r)))))
                .whenCompleteAsync((ranges, error) -> {
                    if (closed) {
                        return;
                    }
                    if (error != null) {
                        registration.failed(error);
                        executor.schedule(this::sync, 1, TimeUnit.SECONDS);
                        return;
                    }
                    synced = true;
                    view.membersResync(ranges.get(0));
                    view.fdbResync(ranges.get(1));
                    view.acksResync(ranges.get(2));
                    view.rekeyResync(ranges.get(3), true);
                    long revision = ranges.get(0).revision();
                    watch(keys.members(), view::memberChanges, view::membersResync, revision);
                    watch(keys.fdb(), view::fdbChanges, view::fdbResync, revision);
                    watch(keys.acksTo(self.name), view::ackChanges, view::acksResync, revision);
                    watch(keys.rekey(), view::rekeyChanges, r -> view.rekeyResync(r, false), revision);
                    reconcileSoon();
                }, executor);
    }

    private void watch(String prefix, java.util.function.Consumer<List<ResumingWatch.Change>> changes,
                       java.util.function.Consumer<Etcd.Range> resync, long revision) {
        ResumingWatch w = new ResumingWatch(etcd, prefix, executor, new ResumingWatch.Handler() {
            @Override
            public void changes(List<ResumingWatch.Change> c) {
                changes.accept(c);
                reconcileSoon();
            }

            @Override
            public void resync(Etcd.Range range) {
                log.info("cluster-resync", "prefix", prefix, "revision", range.revision(),
                        "reason", "history compacted past the last revision seen");
                resync.accept(range);
                reconcileSoon();
            }
        });
        watches.add(w);
        w.start(revision);
    }

    // ---- planning and applying -------------------------------------------------------------

    private void reconcileSoon() {
        if (closed || (settle != null && !settle.isDone())) {
            return;
        }
        settle = executor.schedule(this::reconcile, SETTLE_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void reconcile() {
        if (closed || !synced || self.id == 0) {
            return;
        }
        Planner.Plan plan = planner.plan(file, view.members, view.acks, history);
        Set<String> fresh = new TreeSet<>(plan.problems());
        fresh.removeAll(problems);
        fresh.forEach(p -> log.warning("cluster-member-problem", "problem", p));
        problems = plan.problems();

        if (applied == null || !plan.config().equals(applied.config())) {
            if (plan.config().equals(refused)) {
                return; // refused once already (a port that cannot open): wait for something to change
            }
            if (applied != null) {
                SaReadings.remember(history, gateway.securityAssociations(), applied.derived(), plan.derived());
            }
            Gateway.ReloadResult result = gateway.reload(plan.config());
            reloads++;
            if (!result.applied()) {
                refused = plan.config();
                log.warning("cluster-apply-refused", "errors", String.join("; ", result.errors()));
                return;
            }
            refused = null;
        }
        applied = plan;
        pendingInstalled = self.pending != 0;
        pruneHistory();
        acker.ack(plan.installed());
        installFdb();
        publishRecord();
    }

    private void pruneHistory() {
        long oldest = self.installedGenerations().getFirst();
        history.prune(e -> {
            Planner.Member m = view.members.get(e.peer());
            if (m != null && !m.record().publicKey().equals(e.peerKey())) {
                return true; // that peer restarted: its old key pair is gone for good
            }
            return e.outbound() ? m != null && m.record().generation() > e.generation() : e.generation() < oldest;
        });
    }

    /** Our record as it should be: published when it differs; a pending generation once its SAs are in. */
    private void publishRecord() {
        if (closed || self.id == 0 || publishing || !registration.registered()) {
            return;
        }
        long generation = self.pending != 0 && pendingInstalled ? self.pending : self.current;
        // The tenants the gateway runs, not the file's: a tenant is published only once its
        // inbound SAs are installed (a reload the gateway refused installs nothing).
        OverlayConfig running = gateway.config();
        if (running == null) {
            return;
        }
        Records.MemberRecord want = self.record(running, generation);
        if (want.equals(published)) {
            return;
        }
        publishing = true;
        long lease = registration.lease();
        etcd.put(keys.member(self.name), Records.write(want), lease).whenCompleteAsync((revision, error) -> {
            publishing = false;
            if (error != null) {
                registration.failed(error);
                return;
            }
            registration.succeeded();
            if (lease != registration.lease()) {
                return; // registered again meanwhile: that registration publishes its own
            }
            published = want;
            Set<String> carried = new HashSet<>();
            for (Records.TenantRecord t : want.tenants()) {
                carried.add(t.key());
                self.since.putIfAbsent(t.key(), revision);
            }
            self.since.keySet().retainAll(carried);
            if (want.generation() == self.pending) {
                self.previous = self.current;
                long now = System.nanoTime();
                self.previousUntilNanos = now + TimeUnit.SECONDS.toNanos(cluster.graceSeconds());
                self.previousDeadlineNanos = self.previousUntilNanos + TimeUnit.SECONDS.toNanos(
                        Math.max(cluster.graceSeconds(), RETIRE_DEADLINE_SECONDS));
                self.previousPackets = -1;
                self.current = self.pending;
                self.pending = 0;
                pendingInstalled = false;
                rollovers++;
                log.info("cluster-rollover", "generation", self.current, "previous-kept-for", cluster.graceSeconds() + "s");
            }
            reconcileSoon();
        }, executor);
    }

    // ---- FDB ----------------------------------------------------------------------------------

    /** Remote entries into the tenants' FDBs as the announcements say (no reload needed). */
    private void installFdb() {
        Topology t = gateway.topology();
        if (t == null) {
            return;
        }
        int n = view.fdb.install(t, announcer.ours());
        if (n > 0) {
            fdbChanges += n;
            log.fine("cluster-fdb-installed", "changes", n);
        }
    }

    // ---- time -------------------------------------------------------------------------------

    private void tick() {
        lastStatus = statusNow();
        if (closed || !synced || self.id == 0) {
            return;
        }
        announcer.tick(gateway.topology(), System::nanoTime);
        retirePrevious();
        if (rollRequested && self.pending == 0 && self.previous == 0 && published != null) {
            rollRequested = false;
            self.pending = self.current + 1;
            log.info("cluster-rollover-started", "generation", self.pending);
            reconcileSoon();
        }
        // Retries what failed (acks, our record) and keeps remote FDB entries in FDBs a reload replaced.
        if (applied != null) {
            acker.ack(applied.installed());
        }
        installFdb();
        publishRecord();
    }

    /**
     * Removes the previous generation's inbound SAs once the grace period has passed and no packet
     * reached them since the last look (every sender has switched), or at the deadline.
     */
    private void retirePrevious() {
        long now = System.nanoTime();
        if (self.previous == 0 || now - self.previousUntilNanos < 0) {
            return;
        }
        Map<String, Long> byPeer = applied == null ? Map.of()
                : SaReadings.inboundPackets(gateway.securityAssociations(), applied.derived(), self.previous);
        long packets = byPeer.values().stream().mapToLong(Long::longValue).sum();
        boolean quiet = packets == self.previousPackets;
        boolean late = now - self.previousDeadlineNanos >= 0;
        if (!quiet && !late) {
            self.previousPackets = packets;
            return;
        }
        if (quiet) {
            log.info("cluster-generation-retired", "generation", self.previous);
        } else {
            log.warning("cluster-generation-retired", "generation", self.previous, "reason",
                    "deadline passed while peers still sent on it", "peers", String.join(",", byPeer.keySet()));
        }
        self.previous = 0;
        self.previousPackets = -1;
        reconcileSoon();
    }

    // ---- outside --------------------------------------------------------------------------------

    /** Rolls this gateway's inbound SAs to a new generation now (as {@code etcdctl put PREFIX/rekey} does for all). */
    public void rekey() {
        executor.execute(() -> rollRequested = true);
    }

    /**
     * SIGHUP in cluster mode: reads {@code path} again; applied with what etcd says, or refused
     * with its errors (the old config keeps running). The {@code gateway} section, cluster
     * included, needs a restart.
     */
    public Gateway.ReloadResult reload(Path path) {
        ConfigResult result = ConfigLoader.load(path);
        if (!result.ok()) {
            List<String> errors = ConfigErrors.format(result.errors()).lines().filter(l -> !l.isBlank()).toList();
            log.warning("reload-refused", "config", path, "errors", errors.size());
            errors.forEach(e -> log.warning("config-error", "error", e));
            return new Gateway.ReloadResult(false, List.of(), errors);
        }
        OverlayConfig next = result.config().orElseThrow();
        if (!next.gateway().equals(file.gateway())) {
            String error = path + ": gateway: changed; the gateway section applies at start only (restart to change it)";
            log.warning("reload-refused", "error", error);
            return new Gateway.ReloadResult(false, List.of(), List.of(error));
        }
        try {
            return executor.submit(() -> {
                try {
                    self.assignSlots(next);
                } catch (IllegalArgumentException e) {
                    log.warning("reload-refused", "error", e.getMessage());
                    return new Gateway.ReloadResult(false, List.of(), List.of(e.getMessage()));
                }
                file = next;
                long before = reloads;
                reconcile();
                if (!synced || self.id == 0) {
                    // Not in the cluster yet: the file alone, as without a cluster.
                    return gateway.reload(next);
                }
                return new Gateway.ReloadResult(refused == null, List.of("reloads " + (reloads - before)), List.of());
            }).get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Gateway.ReloadResult(false, List.of(), List.of("interrupted"));
        } catch (ExecutionException | TimeoutException e) {
            return new Gateway.ReloadResult(false, List.of(), List.of("cluster agent: " + e));
        }
    }

    public Status status() {
        try {
            return executor.submit(this::statusNow).get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cluster agent does not answer", e);
        }
    }

    private Status statusNow() {
        long restarts = 0;
        long resyncs = 0;
        for (ResumingWatch w : watches) {
            restarts += w.restarts.get();
            resyncs += w.resyncs.get();
        }
        Set<String> ready = applied == null ? Set.of() : new TreeSet<>(applied.ready());
        return new Status(registration.registered(), registration.reachable(), self.id, self.publicKeyId(),
                self.current, ready, new TreeSet<>(view.members.keySet()), rollovers, reloads, restarts, resyncs,
                registration.unreachableLogs, registration.registrations, fdbChanges);
    }

    /** Leaves the cluster: the lease is revoked, so every other gateway drops this one at once. */
    @Override
    public void close() {
        stop(true);
    }

    /** Stops without leaving, as a crash would: the others drop this gateway when its lease expires. */
    public void abandon() {
        stop(false);
    }

    private void stop(boolean leave) {
        if (!stopped.compareAndSet(false, true)) {
            return;
        }
        CompletableFuture<Void> left;
        try {
            left = executor.submit(() -> {
                closed = true;
                watches.forEach(ResumingWatch::close);
                return registration.close(leave);
            }).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            left = CompletableFuture.completedFuture(null);
        }
        try {
            left.get(Etcd.DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            if (leave) {
                log.info("cluster-left", "prefix", cluster.prefix());
            }
        } catch (Exception e) {
            log.warning("cluster-leave-incomplete", "reason", "etcd did not confirm; the lease expires in "
                    + cluster.leaseSeconds() + "s");
        }
        executor.shutdownNow();
        etcd.close();
    }
}
