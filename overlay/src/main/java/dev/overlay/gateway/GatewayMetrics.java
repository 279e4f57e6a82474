package dev.overlay.gateway;

import dev.overlay.gateway.port.PortException;
import dev.overlay.steering.SteeringDrop;
import dev.overlay.steering.WorkerStats;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.registry.PrometheusScrapeRequest;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The Prometheus endpoint ({@code gateway.metrics}): every metric is a callback that reads the
 * datapath's own counters at scrape time, so the packet path never touches this library. One
 * {@link GatewayStats} snapshot serves a whole scrape. Labels carry names and SPIs, never keys.
 */
final class GatewayMetrics implements AutoCloseable {
    private final HTTPServer server;
    private final ExecutorService executor;
    private final InetSocketAddress address;
    private final PrometheusRegistry registry;

    private GatewayMetrics(HTTPServer server, ExecutorService executor, InetSocketAddress address,
                           PrometheusRegistry registry) {
        this.server = server;
        this.executor = executor;
        this.address = address;
        this.registry = registry;
    }

    /** More metrics on the same endpoint (the cluster agent's), each a callback like the others. */
    void register(java.util.function.Consumer<PrometheusRegistry> metrics) {
        metrics.accept(registry);
    }

    static GatewayMetrics start(InetSocketAddress at, String gateway, Supplier<GatewayStats> stats) throws PortException {
        Snapshot snapshot = new Snapshot(stats);
        // Each scrape starts from a fresh snapshot, which all of that scrape's callbacks share.
        PrometheusRegistry registry = new PrometheusRegistry() {
            @Override
            public MetricSnapshots scrape(PrometheusScrapeRequest request) {
                snapshot.invalidate();
                return super.scrape(request);
            }

            @Override
            public MetricSnapshots scrape() {
                snapshot.invalidate();
                return super.scrape();
            }

            @Override
            public MetricSnapshots scrape(Predicate<String> includedNames) {
                snapshot.invalidate();
                return super.scrape(includedNames);
            }

            @Override
            public MetricSnapshots scrape(Predicate<String> includedNames, PrometheusScrapeRequest request) {
                snapshot.invalidate();
                return super.scrape(includedNames, request);
            }
        };
        register(registry, snapshot);
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform()
                .name("overlay-" + gateway + "-metrics").daemon(true).unstarted(r));
        try {
            HTTPServer server = HTTPServer.builder().inetAddress(at.getAddress()).port(at.getPort())
                    .registry(registry).executorService(executor).buildAndStart();
            return new GatewayMetrics(server, executor, new InetSocketAddress(at.getAddress(), server.getPort()), registry);
        } catch (IOException e) {
            executor.shutdownNow();
            throw new PortException("metrics: cannot listen on " + Addresses.hostPort(at) + ": " + Addresses.reason(e));
        }
    }

    InetSocketAddress address() {
        return address;
    }

    /** One stats snapshot per scrape: the first callback takes it, the others reuse it. */
    private static final class Snapshot {
        private final Supplier<GatewayStats> source;
        private GatewayStats last;

        Snapshot(Supplier<GatewayStats> source) {
            this.source = source;
        }

        synchronized void invalidate() {
            last = null;
        }

        synchronized GatewayStats get() {
            if (last == null) {
                last = source.get();
            }
            return last;
        }
    }

    private static void register(PrometheusRegistry r, Snapshot s) {
        CounterWithCallback.builder().name("overlay_tenant_frames_total")
                .help("Frames taken from a tenant's ports (tx) and delivered to them (rx)")
                .labelNames("tenant", "direction").callback(cb -> s.get().tenants().forEach((name, t) -> {
                    cb.call(t.txFrames(), name, "tx");
                    cb.call(t.rxFrames(), name, "rx");
                })).register(r);
        CounterWithCallback.builder().name("overlay_tenant_bytes_total")
                .help("Bytes of those frames").labelNames("tenant", "direction")
                .callback(cb -> s.get().tenants().forEach((name, t) -> {
                    cb.call(t.txBytes(), name, "tx");
                    cb.call(t.rxBytes(), name, "rx");
                })).register(r);
        CounterWithCallback.builder().name("overlay_pmtu_icmp_sent_total")
                .help("ICMP errors sent back to a tenant's senders for frames above its MTU: fragmentation-needed"
                        + " (IPv4 with DF) or packet-too-big (IPv6)").labelNames("tenant", "type")
                .callback(cb -> s.get().tenants().forEach((name, t) -> {
                    cb.call(t.pathMtu().fragmentationNeeded(), name, "fragmentation-needed");
                    cb.call(t.pathMtu().packetTooBig(), name, "packet-too-big");
                })).register(r);
        CounterWithCallback.builder().name("overlay_pmtu_icmp_rate_limited_total")
                .help("ICMP errors for frames above a tenant's MTU not sent: over the tenant's rate limit")
                .labelNames("tenant")
                .callback(cb -> s.get().tenants().forEach((name, t) -> cb.call(t.pathMtu().rateLimited(), name)))
                .register(r);
        CounterWithCallback.builder().name("overlay_pmtu_fragmented_total")
                .help("IPv4 frames without DF above a tenant's MTU, cut into fragments that fit")
                .labelNames("tenant")
                .callback(cb -> s.get().tenants().forEach((name, t) -> cb.call(t.pathMtu().fragmentedFrames(), name)))
                .register(r);
        CounterWithCallback.builder().name("overlay_pmtu_fragments_total")
                .help("The fragments those frames were cut into").labelNames("tenant")
                .callback(cb -> s.get().tenants().forEach((name, t) -> cb.call(t.pathMtu().fragments(), name)))
                .register(r);
        CounterWithCallback.builder().name("overlay_mss_clamped_total")
                .help("TCP SYNs and SYN-ACKs whose MSS option was lowered: leaving to the overlay (tx) or"
                        + " delivered to the tenant (rx)").labelNames("tenant", "direction")
                .callback(cb -> s.get().tenants().forEach((name, t) -> {
                    cb.call(t.pathMtu().mssClampedTx(), name, "tx");
                    cb.call(t.pathMtu().mssClampedRx(), name, "rx");
                })).register(r);
        GaugeWithCallback.builder().name("overlay_fdb_entries")
                .help("FDB entries of a tenant, static and learned").labelNames("tenant")
                .callback(cb -> s.get().tenants().forEach((name, t) -> cb.call(t.fdbEntries(), name))).register(r);
        GaugeWithCallback.builder().name("overlay_fdb_remote_entries")
                .help("FDB entries of a tenant installed from other gateways' announcements (cluster mode)")
                .labelNames("tenant")
                .callback(cb -> s.get().tenants().forEach((name, t) -> cb.call(t.fdbRemoteEntries(), name))).register(r);
        CounterWithCallback.builder().name("overlay_tenant_flooded_frames_total")
                .help("Frames from a tenant's ports sent to every peer: broadcast and multicast, or unknown unicast")
                .labelNames("tenant", "kind").callback(cb -> s.get().tenants().forEach((name, t) -> {
                    cb.call(t.txUnknownUnicast(), name, "unknown-unicast");
                    cb.call(t.txFlooded() - t.txUnknownUnicast(), name, "broadcast-multicast");
                })).register(r);
        CounterWithCallback.builder().name("overlay_sa_packets_total")
                .help("Packets sealed (out) or opened (in) by an SA").labelNames("spi", "direction", "peer")
                .callback(cb -> s.get().sas().forEach(sa -> cb.call(sa.packets(), sa.spi(), sa.direction(), sa.peer())))
                .register(r);
        CounterWithCallback.builder().name("overlay_sa_bytes_total")
                .help("Payload bytes of those packets").labelNames("spi", "direction", "peer")
                .callback(cb -> s.get().sas().forEach(sa -> cb.call(sa.bytes(), sa.spi(), sa.direction(), sa.peer())))
                .register(r);
        CounterWithCallback.builder().name("overlay_sa_drops_total")
                .help("Packets an SA refused, by reason").labelNames("spi", "direction", "reason")
                .callback(cb -> s.get().sas().forEach(sa -> sa.drops().forEach(
                        (reason, n) -> cb.call(n, sa.spi(), sa.direction(), reason)))).register(r);
        CounterWithCallback.builder().name("overlay_drops_total")
                .help("Packets and frames dropped, by reason and by the stage that counted them")
                .labelNames("reason", "stage").callback(cb -> s.get().drops().forEach(
                        (stage, byReason) -> byReason.forEach((reason, n) -> cb.call(n, reason, stage)))).register(r);
        CounterWithCallback.builder().name("overlay_worker_packets_total")
                .help("Items a worker handled, over all its stages").labelNames("worker")
                .callback(cb -> s.get().workers().forEach(w -> cb.call(w.packets(), Integer.toString(w.worker()))))
                .register(r);
        CounterWithCallback.builder().name("overlay_worker_wakeups_total")
                .help("Times a producer woke a parked worker; packets over wake-ups is what one wake-up bought")
                .labelNames("worker")
                .callback(cb -> s.get().workers().forEach(w -> cb.call(w.wakeUps(), Integer.toString(w.worker()))))
                .register(r);
        CounterWithCallback.builder().name("overlay_worker_socket_packets_total")
                .help("ESP a worker's own socket brought: run there (own-sa) or handed on to the SA's owner (handed-on)")
                .labelNames("worker", "sa").callback(cb -> s.get().workerSockets().forEach(w -> {
                    cb.call(w.ownSa(), Integer.toString(w.worker()), "own-sa");
                    cb.call(w.handedOn(), Integer.toString(w.worker()), "handed-on");
                })).register(r);
        CounterWithCallback.builder().name("overlay_worker_drops_total")
                .help("Items steering dropped on a worker's queues").labelNames("worker", "reason")
                .callback(cb -> {
                    for (WorkerStats w : s.get().workers()) {
                        for (SteeringDrop d : SteeringDrop.values()) {
                            cb.call(w.drops(d), Integer.toString(w.worker()), d.counterName());
                        }
                    }
                }).register(r);
        GaugeWithCallback.builder().name("overlay_worker_queue_high_water")
                .help("The deepest a worker's queues have been").labelNames("worker")
                .callback(cb -> s.get().workers().forEach(w -> cb.call(w.queueHighWater(), Integer.toString(w.worker()))))
                .register(r);
        CounterWithCallback.builder().name("overlay_port_frames_total")
                .help("Frames a port read (rx) and wrote (tx)").labelNames("port", "tenant", "direction")
                .callback(cb -> s.get().ports().forEach((name, p) -> {
                    cb.call(p.rxFrames(), name, p.tenant(), "rx");
                    cb.call(p.txFrames(), name, p.tenant(), "tx");
                })).register(r);
        CounterWithCallback.builder().name("overlay_port_drops_total")
                .help("Frames a port could not write (tx) or use (rx)").labelNames("port", "direction")
                .callback(cb -> s.get().ports().forEach((name, p) -> {
                    cb.call(p.txDropped(), name, "tx");
                    cb.call(p.rxErrors(), name, "rx");
                })).register(r);
        CounterWithCallback.builder().name("overlay_port_kernel_drops_total")
                .help("Frames the kernel dropped before the port read them: at a pcap port's socket (receive buffer full) or a tap port's device (queue full, its tx_dropped)")
                .labelNames("port")
                .callback(cb -> s.get().ports().forEach((name, p) -> cb.call(p.rxKernelDrops(), name))).register(r);
        GaugeWithCallback.builder().name("overlay_port_queues_on_workers")
                .help("Of a tap or pcap port's queues, how many a worker's event loop reads now (run to completion) rather than the port's own reader thread")
                .labelNames("port")
                .callback(cb -> s.get().ports().forEach((name, p) -> cb.call(p.queuesOnWorkers(), name))).register(r);
        CounterWithCallback.builder().name("overlay_port_reader_moves_total")
                .help("Times a worker's event loop took one of a port's queues over from the port's thread or another worker")
                .labelNames("port")
                .callback(cb -> s.get().ports().forEach((name, p) -> cb.call(p.readerMoves(), name))).register(r);
        CounterWithCallback.builder().name("overlay_port_gso_frames_total")
                .help("TCP or UDP super-frames (GSO virtio header) a port read and cut into segments (rx), TCP ones coalesced and written (tx)")
                .labelNames("port", "direction")
                .callback(cb -> s.get().ports().forEach((name, p) -> {
                    cb.call(p.rxGsoFrames(), name, "rx");
                    cb.call(p.txGsoFrames(), name, "tx");
                })).register(r);
        CounterWithCallback.builder().name("overlay_port_gso_segments_total")
                .help("MSS segments cut from super-frames (rx) or coalesced into them (tx)")
                .labelNames("port", "direction")
                .callback(cb -> s.get().ports().forEach((name, p) -> {
                    cb.call(p.rxGsoSegments(), name, "rx");
                    cb.call(p.txGsoSegments(), name, "tx");
                })).register(r);
        CounterWithCallback.builder().name("overlay_underlay_packets_total")
                .help("Datagrams the underlay sockets received (rx) and queued for sending (tx)")
                .labelNames("direction").callback(cb -> {
                    GatewayStats g = s.get();
                    cb.call(g.underlayRxPackets(), "rx");
                    cb.call(g.underlayTxPackets(), "tx");
                }).register(r);
        CounterWithCallback.builder().name("overlay_underlay_gso_trains_total")
                .help("UDP GSO sends: one sendmsg carrying several equal datagrams to one peer (UDP_SEGMENT)")
                .callback(cb -> cb.call(s.get().underlayGsoTrains())).register(r);
        CounterWithCallback.builder().name("overlay_underlay_gso_datagrams_total")
                .help("Datagrams sent in UDP GSO trains, also counted in overlay_underlay_packets_total{direction=\"tx\"}")
                .callback(cb -> cb.call(s.get().underlayGsoDatagrams())).register(r);
        CounterWithCallback.builder().name("overlay_underlay_kernel_drops_total")
                .help("Datagrams the kernel dropped at the underlay sockets, their receive buffer full, before the gateway read them"
                        + " (a train coalesced by UDP GRO counts once)")
                .labelNames("reason")
                .callback(cb -> cb.call(Math.max(0, s.get().underlayKernelDrops()), "receive-buffer-full")).register(r);
    }

    @Override
    public void close() {
        server.close();
        executor.shutdownNow();
        try {
            executor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
