package dev.overlay.gateway;

import dagger.Lazy;
import dev.overlay.config.ConfigErrors;
import dev.overlay.config.ConfigLoader;
import dev.overlay.config.ConfigResult;
import dev.overlay.config.GatewayConfig;
import dev.overlay.config.OverlayConfig;
import dev.overlay.config.PortConfig;
import dev.overlay.config.SaConfig;
import dev.overlay.config.TenantConfig;
import dev.overlay.datapath.SaTable;
import dev.overlay.datapath.Tenant;
import dev.overlay.datapath.Topology;
import dev.overlay.esp.transform.Aeads;
import dev.overlay.gateway.port.PortException;
import dev.overlay.gateway.port.Ports;
import dev.overlay.gateway.port.TenantPort;
import dev.overlay.steering.SpiDispatcher;
import dev.overlay.steering.SteeringPolicy;
import dev.overlay.steering.WorkerPool;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.util.internal.PlatformDependent;
import jakarta.inject.Inject;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One running gateway ({@code overlay run}): start it from a validated config, reload it,
 * read its counters, stop it. Several may run in one JVM (two gateways on 127.0.0.1 and
 * 127.0.0.2 in a test); each names its threads {@code overlay-<name>-...}. Its parts are made
 * by {@link GatewayComponent} (Dagger, see {@link GatewayModule}); this class opens, runs and
 * closes them.
 *
 * <pre>{@code
 * try (Gateway gw = Gateway.start(config)) {      // ports first: PortException before anything runs
 *     gw.reload(Path.of("gw-a.yaml"));            // SIGHUP
 *     GatewayStats s = gw.stats();
 * }                                               // stop receiving, drain, close ports
 * }</pre>
 */
public final class Gateway implements AutoCloseable {

    /** Opens a tenant's port: {@link Ports#open} in production, in-memory ports in tests. */
    @FunctionalInterface
    public interface PortOpener {
        TenantPort open(String tenant, PortConfig config, ByteBufAllocator alloc, EventLoopGroup group)
                throws PortException;

        PortOpener SYSTEM = (tenant, config, alloc, group) -> Ports.open(config, alloc, group);
    }

    /**
     * @param fdbAgeingInterval how often learned FDB entries past their age are removed
     * @param retireAfter how long a replaced SA's state stays usable for packets already steered
     *     to it before its keys are wiped (a grace period, as RCU's)
     */
    public record Options(PortOpener ports, Duration fdbAgeingInterval, Duration retireAfter) {
        public static final Options DEFAULT = new Options(PortOpener.SYSTEM, Duration.ofSeconds(10), Duration.ofSeconds(2));

        public Options {
            Objects.requireNonNull(ports, "ports");
            Objects.requireNonNull(fdbAgeingInterval, "fdbAgeingInterval");
            Objects.requireNonNull(retireAfter, "retireAfter");
        }

        public Options withPorts(PortOpener opener) {
            return new Options(opener, fdbAgeingInterval, retireAfter);
        }
    }

    /** What a reload did: applied with its changes, or refused with its errors (the old config keeps running). */
    public record ReloadResult(boolean applied, List<String> changes, List<String> errors) {
        public ReloadResult {
            changes = List.copyOf(changes);
            errors = List.copyOf(errors);
        }
    }

    private final String name;
    private final Options options;
    private final EventLog log;
    private final ByteBufAllocator alloc;
    private final EventLoopGroup group;
    private final WorkerPool pool;
    private final SpiDispatcher owners;
    private final Underlay underlay;
    private final Pipeline pipeline;
    private final TenantPorts ports;
    /** Lazy: made once every port has opened, so a port that cannot open leaves no keys to wipe. */
    private final Lazy<Topology> firstTopology;
    private final Lazy<SaTable> firstSas;
    /** Replaced SA states waiting out {@link Options#retireAfter}; guarded by itself, not by this gateway. */
    private final List<AutoCloseable> retiring = new ArrayList<>();
    /** Orders owner assignment with the view swap against the delayed removal of owners ({@link #retire}). */
    private final Object ownersLock = new Object();
    /** Persists outbound sequence numbers across restarts ({@code gateway.state-dir}); null without one. */
    private final SequenceStore sequences;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private GatewayMetrics metrics;
    private boolean closed;
    /** Set once open() finished: a start that failed says so in one sentence, with no "stopped" event. */
    private volatile boolean started;

    @Inject
    Gateway(GatewayConfig gateway, Options options, EventLog log, ByteBufAllocator alloc, EventLoopGroup group,
            WorkerPool pool, SpiDispatcher owners, Underlay underlay, Pipeline pipeline, TenantPorts ports,
            Lazy<Topology> firstTopology, Lazy<SaTable> firstSas, Optional<SequenceStore> sequences) {
        this.name = gateway.name();
        this.options = options;
        this.log = log;
        this.alloc = alloc;
        this.group = group;
        this.pool = pool;
        this.owners = owners;
        this.underlay = underlay;
        this.pipeline = pipeline;
        this.ports = ports;
        this.firstTopology = firstTopology;
        this.firstSas = firstSas;
        this.sequences = sequences.orElse(null);
    }

    /** As {@link #start(OverlayConfig, Options)} with the system's ports. */
    public static Gateway start(OverlayConfig config) throws PortException {
        return start(config, Options.DEFAULT);
    }

    /**
     * Opens every port and socket, then starts the workers, the ports' readers and the metrics
     * endpoint. If a port, socket or the metrics endpoint cannot be opened, everything opened so
     * far is closed and the {@link PortException} says which and why, in one sentence.
     */
    public static Gateway start(OverlayConfig config, Options options) throws PortException {
        Gateway gw = GatewayComponent.create(config, options).gateway();
        try {
            gw.open(config);
        } catch (PortException | RuntimeException e) {
            gw.close();
            throw e;
        }
        return gw;
    }

    private void open(OverlayConfig config) throws PortException {
        ports.openAll(config);
        Topology topology = firstTopology.get();
        SaTable sas = firstSas.get();
        if (sequences != null) {
            sequences.open();
            try {
                sequences.adopt(sas.outboundStates()); // on disk before the first packet is sealed
            } catch (java.io.IOException e) {
                throw new PortException("state-dir: cannot write " + sequences.file() + ": " + e.getMessage(), e);
            }
        }
        assignOwners(config);
        pipeline.view(new View(topology, sas, pool.workers(), ports.byTenant(), alloc));
        // The workers first: with per-worker sockets they drive the loops those sockets bind on.
        pool.start();
        underlay.open(pipeline, needsCleartext(config));
        steerUnderlay(config);
        ports.forEach((k, p) -> p.start(pipeline.portSink));
        // Started here rather than made by the component: the endpoint reads this gateway's
        // stats and must come up last, after everything it reports on.
        if (config.gateway().metrics().isPresent()) {
            metrics = GatewayMetrics.start(config.gateway().metrics().get(), name, this::stats);
        }
        long every = options.fdbAgeingInterval().toMillis();
        group.scheduleAtFixedRate(this::expireFdb, every, every, TimeUnit.MILLISECONDS);
        if (sequences == null) {
            // Only once everything opened: a start that fails is one sentence, nothing more.
            warnNonceReuse(config);
        }
        log.info("started", "address", config.gateway().address().getHostAddress(),
                "esp-transport", config.gateway().espTransport().configName(), "workers", pool.workers(),
                "steering", config.gateway().steering().configName(), "io", Underlay.transportName(),
                "underlay-fragmentation", config.gateway().underlayFragmentation().configName(),
                "metrics", metrics == null ? "off" : Addresses.hostPort(metrics.address()),
                "aes-gcm", Aeads.gcmImplementation(),
                // Netty's fast buffer paths need java --sun-misc-unsafe-memory-access=allow on Java 25 (bin/overlay gives it).
                "netty-unsafe", PlatformDependent.hasUnsafe());
        for (Tenant t : topology.tenants().values()) {
            log.info("tenant-mtu", "tenant", t.name(), "vni", t.vni(), "mtu", t.mtu(),
                    "security", t.config().security().configName(), "mss-clamp",
                    t.clampsMss() ? t.mss4() + "/" + t.mss6() : "off");
        }
        ports.forEach(this::logOpened);
        started = true;
    }

    public String name() {
        return name;
    }

    /** {@code port-opened tenant=T port=P [path="how the kernel hands the port its frames"]}. */
    private void logOpened(TenantPorts.Key key, TenantPort port) {
        String path = port.path();
        if (path.isEmpty()) {
            log.info("port-opened", "tenant", key.tenant(), "port", port.name());
        } else {
            log.info("port-opened", "tenant", key.tenant(), "port", port.name(), "path", path);
        }
    }

    /**
     * The datapath's current view of tenants and peers (each tenant's FDB and, in cluster mode, its
     * local MACs), or null before start. For the cluster agent and tools: read it, never hold it.
     */
    public Topology topology() {
        View v = pipeline.view();
        return v == null ? null : v.topology;
    }

    /** The SAs with their runtime state (sequence numbers, replay windows) now, or null before start. */
    public SaTable securityAssociations() {
        View v = pipeline.view();
        return v == null ? null : v.sas;
    }

    /** The config running now: the file's, or in cluster mode the file's plus what etcd added. */
    public OverlayConfig config() {
        View v = pipeline.view();
        return v == null ? null : v.config;
    }

    /**
     * Adds metrics to this gateway's endpoint ({@code gateway.metrics}); nothing without one.
     * For the cluster agent: callbacks read at scrape time, as the gateway's own metrics are.
     */
    public void addMetrics(java.util.function.Consumer<io.prometheus.metrics.model.registry.PrometheusRegistry> metrics) {
        if (this.metrics != null) {
            this.metrics.register(metrics);
        }
    }

    /** The metrics endpoint as bound (a configured port 0 becomes the one the system chose), or null. */
    public InetSocketAddress metricsAddress() {
        return metrics == null ? null : metrics.address();
    }

    /** Reads, validates and applies {@code file}; an invalid file is refused and the old config keeps running. */
    public ReloadResult reload(Path file) {
        ConfigResult result = ConfigLoader.load(file);
        if (!result.ok()) {
            List<String> errors = new ArrayList<>();
            for (String line : ConfigErrors.format(result.errors()).split("\n")) {
                if (!line.isBlank()) {
                    errors.add(line);
                }
            }
            log.warning("reload-refused", "config", file, "errors", errors.size());
            errors.forEach(e -> log.warning("config-error", "error", e));
            return new ReloadResult(false, List.of(), errors);
        }
        return reload(result.config().orElseThrow());
    }

    /**
     * Applies a validated config without touching what it does not change: tenants, peers and
     * SAs whose config is unchanged keep their state (FDB, sequence numbers, replay windows); new
     * inbound SAs are installed before anything else moves, the routing view is swapped at once,
     * removed SAs' keys are wiped after {@link Options#retireAfter}.
     */
    public synchronized ReloadResult reload(OverlayConfig next) {
        View cur = pipeline.view();
        if (closed || cur == null) {
            return new ReloadResult(false, List.of(), List.of("gateway " + name + " is stopped"));
        }
        if (!next.gateway().equals(cur.config.gateway())) {
            String error = next.source() + ": gateway: changed; the gateway section applies at start only (restart to change it)";
            log.warning("reload-refused", "error", error);
            return new ReloadResult(false, List.of(), List.of(error));
        }
        List<ConfigDiff.Change> changes = ConfigDiff.of(cur.config, next);
        // Built here, not by GatewayComponent: each is made from the running one (unchanged
        // tenants keep their FDBs, unchanged SAs their states), which a subcomponent per config
        // generation would only pass through to these same two calls.
        Topology topology = Topology.reloaded(next, System::nanoTime, cur.topology);
        SaTable sas = SaTable.reloaded(topology, true, System::nanoTime, cur.sas);
        // Ports of new tenants (or changed port lists) open before anything switches.
        Map<TenantPorts.Key, TenantPort> opened;
        try {
            if (needsCleartext(next)) {
                underlay.openCleartext();
            }
            opened = ports.openMissing(next);
        } catch (PortException e) {
            closeAll(sas.retiredBy(cur.sas)); // the states this attempt created
            log.warning("reload-refused", "error", e.getMessage());
            return new ReloadResult(false, List.of(), List.of(e.getMessage()));
        }
        if (sequences != null) {
            try {
                sequences.adopt(sas.outboundStates()); // new SAs reserved on disk before the view uses them
            } catch (java.io.IOException e) {
                opened.values().forEach(TenantPort::close);
                closeAll(sas.retiredBy(cur.sas));
                String error = "state-dir: cannot write " + sequences.file() + ": " + e.getMessage();
                log.warning("reload-refused", "error", error);
                return new ReloadResult(false, List.of(), List.of(error));
            }
        }
        List<TenantPort> removedPorts = ports.swap(next, opened);
        // Make before break: owners for new SAs first, then the view that uses them, at once.
        synchronized (ownersLock) {
            assignOwners(next);
            pipeline.view(new View(topology, sas, pool.workers(), ports.byTenant(), alloc));
        }
        opened.values().forEach(p -> p.start(pipeline.portSink));
        removedPorts.forEach(TenantPort::close);
        List<SaConfig> gone = new ArrayList<>();
        var kept = ConfigDiff.saKeys(next);
        for (SaConfig sa : cur.config.securityAssociations()) {
            if (!kept.contains(ConfigDiff.key(sa.direction(), sa.spi()))) {
                gone.add(sa);
            }
        }
        steerUnderlay(next);
        retire(cur.sas.retiredBy(sas), gone);
        List<String> described = new ArrayList<>();
        for (ConfigDiff.Change c : changes) {
            log.info(c.event(), c.keyValues());
            described.add(c.toString());
        }
        opened.forEach(this::logOpened);
        removedPorts.forEach(p -> log.info("port-closed", "port", p.name()));
        log.info("reloaded", "config", next.source(), "changes", changes.size());
        return new ReloadResult(true, described, List.of());
    }

    /** Stops: no more receiving, queues drained, ports closed, keys wiped. Idempotent; within a few seconds. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        pipeline.stop();
        underlay.stopReading();
        pool.close(); // every queued packet is handled (sent or delivered) before this returns
        underlay.flush();
        underlay.close();
        ports.closeAll();
        if (metrics != null) {
            metrics.close();
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        View v = pipeline.view();
        if (sequences != null) {
            // Every worker has stopped (pool.close joined them): the exact last numbers are final.
            sequences.close(true);
        }
        synchronized (retiring) {
            closeAll(retiring);
            retiring.clear();
        }
        if (v != null) {
            v.sas.close();
        }
        if (started) {
            log.info("stopped");
        }
        stopped.countDown();
    }

    /** Blocks until {@link #close()} has finished. */
    public void awaitStopped() throws InterruptedException {
        stopped.await();
    }

    /** The counters now; exact once stopped. */
    public GatewayStats stats() {
        return StatsReader.read(pipeline, pool, underlay, ports.byName());
    }

    private void expireFdb() {
        View v = pipeline.view();
        if (v == null) {
            return;
        }
        for (Tenant t : v.topology.tenants().values()) {
            if (t.localMacs() != null) {
                t.localMacs().expire();
            }
            int n = t.fdb().expire();
            if (n > 0) {
                log.fine("fdb-aged", "tenant", t.name(), "entries", n);
            }
        }
    }

    /** How the kernel picks among the workers' ESP sockets ({@code spi (N SAs)}, {@code hash (...)}, or {@code none}). */
    String underlaySteering() {
        return underlay.steering();
    }

    /** Datagrams one read event takes on each underlay socket, by role ({@link Underlay#readBudgets}). */
    Map<String, Integer> underlayReadBudgets() {
        return underlay.readBudgets();
    }

    /** The kernel's choice among the per-worker ESP sockets follows the inbound SAs' owners (steering spi and rfs). */
    private void steerUnderlay(OverlayConfig config) {
        boolean bySpi = SteeringPolicy.of(config.gateway().steering().configName()) != SteeringPolicy.FLOW;
        // The config's inbound SAs only: a removed SA keeps its owner a little longer (retire).
        Map<Integer, Integer> inbound = owners.owners(SpiDispatcher.Direction.IN);
        var current = ConfigDiff.saKeys(config);
        inbound.keySet().removeIf(spi -> !current.contains(ConfigDiff.key(SaConfig.Direction.IN, spi & 0xFFFF_FFFFL)));
        underlay.steer(inbound, bySpi);
    }

    private void assignOwners(OverlayConfig config) {
        Map<SaConfig, SaConfig> partners = PAIR_OWNERS ? partners(config.securityAssociations()) : Map.of();
        for (SaConfig sa : config.securityAssociations()) {
            boolean known = owners.owners(direction(sa)).containsKey((int) sa.spi());
            SaConfig partner = partners.get(sa);
            int partnerOwner = partner == null ? -1 : owners.ownerIfAssigned(direction(partner), (int) partner.spi());
            int owner = partnerOwner >= 0 ? owners.assign(direction(sa), (int) sa.spi(), partnerOwner)
                    : owners.assign(direction(sa), (int) sa.spi());
            log.fine("sa-owner", "spi", sa.spiHex(), "direction", sa.direction().configName(), "worker", owner);
            if (sa.spi() < SaConfig.UNRESERVED_SPI && !known) {
                // check's warning, echoed: run accepts such SAs (peers use them) and only says so.
                log.warning("reserved-spi", "spi", sa.spiHex(), "direction", sa.direction().configName(),
                        "advice", "RFC 4303 reserves 1..255 for IANA; choose 256 or more for SAs you make");
            }
        }
    }

    /** {@code -Doverlay.sa.pair-owners=false}: every SA gets its owner alone, by load (A/B, and a way out). */
    static final boolean PAIR_OWNERS = !"false".equals(System.getProperty("overlay.sa.pair-owners"));

    /**
     * The SA each SA takes its owner from, if it has one: the k-th outbound SA to a peer for some
     * tenants and the k-th inbound SA from that peer for the same tenants, in config order, are
     * partners. A flow and its replies pick the same place in the list at both ends
     * ({@code OverlayEncap.outboundSa}, a symmetric hash), so when both configs list a tunnel's
     * SAs in the same order, as generated configs do, partners carry the two directions of the
     * same flows; one owner for both keeps a TCP flow's data and its ACKs on one worker at each
     * end, with no hand-off between them. An SA beyond the pairs follows the one before it.
     */
    static Map<SaConfig, SaConfig> partners(List<SaConfig> sas) {
        Map<String, List<SaConfig>> out = new java.util.HashMap<>();
        Map<String, List<SaConfig>> in = new java.util.HashMap<>();
        for (SaConfig sa : sas) {
            String key = sa.peer() + " " + new java.util.TreeSet<>(sa.tenants());
            (sa.direction() == SaConfig.Direction.OUT ? out : in).computeIfAbsent(key, k -> new ArrayList<>()).add(sa);
        }
        Map<SaConfig, SaConfig> partners = new java.util.IdentityHashMap<>();
        for (String key : union(out.keySet(), in.keySet())) {
            List<SaConfig> outs = out.getOrDefault(key, List.of());
            List<SaConfig> ins = in.getOrDefault(key, List.of());
            int pairs = Math.min(outs.size(), ins.size());
            for (int k = 0; k < pairs; k++) {
                partners.put(outs.get(k), ins.get(k));
                partners.put(ins.get(k), outs.get(k));
            }
            // One more of a kind than the other has: a rollover's new SA beside the old one
            // (make before break). It follows the SA before it in its list, so the old SA's
            // packets and the new one's are opened (or sealed) on one worker, in order.
            List<SaConfig> longer = outs.size() > ins.size() ? outs : ins;
            for (int k = Math.max(pairs, 1); k < longer.size(); k++) {
                partners.put(longer.get(k), longer.get(k - 1));
            }
        }
        return partners;
    }

    private static java.util.Set<String> union(java.util.Set<String> a, java.util.Set<String> b) {
        java.util.Set<String> all = new java.util.TreeSet<>(a);
        all.addAll(b);
        return all;
    }

    /** {@code run}'s echo of {@code check}'s warning: without a state directory a restart reuses nonces. */
    private void warnNonceReuse(OverlayConfig config) {
        for (SaConfig sa : config.securityAssociations()) {
            if (sa.direction() == SaConfig.Direction.OUT && sa.algorithm().sequenceIsNonce()) {
                log.warning("nonce-reuse-risk", "spi", sa.spiHex(), "algorithm", sa.algorithm().configName(),
                        "advice", ConfigLoader.NONCE_REUSE_WARNING);
            }
        }
    }

    private static SpiDispatcher.Direction direction(SaConfig sa) {
        return sa.direction() == SaConfig.Direction.IN ? SpiDispatcher.Direction.IN : SpiDispatcher.Direction.OUT;
    }

    private static boolean needsCleartext(OverlayConfig config) {
        return config.tenants().values().stream().anyMatch(t -> t.security() == TenantConfig.Security.NONE);
    }

    /**
     * Wipes the keys of replaced SAs once packets already steered to them have been handled, and
     * only then forgets the owners of removed SAs. A port reader that took an outbound SA from the
     * previous view steers its frame by that SA's owner after the swap: were the owner already
     * forgotten, the frame would go to the SPI's hashed worker, and two workers would take
     * sequence numbers from one SA at once, a repeated number being a repeated AES-GCM nonce.
     */
    private void retire(List<AutoCloseable> states, List<SaConfig> removed) {
        if (states.isEmpty() && removed.isEmpty()) {
            return;
        }
        synchronized (retiring) {
            retiring.addAll(states);
        }
        // Runs on the event loop: it must not take this gateway's monitor, which a reload holds
        // while it waits for that same event loop to register a new port's channel (deadlock).
        group.schedule(() -> {
            synchronized (retiring) {
                if (retiring.removeAll(states)) {
                    closeAll(states);
                }
            }
            synchronized (ownersLock) {
                // A later reload may have brought the same SPI back: it keeps its owner.
                View v = pipeline.view();
                var current = v == null ? java.util.Set.<String>of() : ConfigDiff.saKeys(v.config);
                for (SaConfig sa : removed) {
                    if (!current.contains(ConfigDiff.key(sa.direction(), sa.spi()))) {
                        owners.remove(direction(sa), (int) sa.spi());
                    }
                }
            }
        }, options.retireAfter().toMillis(), TimeUnit.MILLISECONDS);
    }

    private static void closeAll(List<AutoCloseable> states) {
        for (AutoCloseable c : states) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing an SA state", e);
            }
        }
    }
}
