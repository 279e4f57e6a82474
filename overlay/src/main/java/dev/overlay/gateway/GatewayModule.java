package dev.overlay.gateway;

import dagger.Module;
import dagger.Provides;
import dev.overlay.config.GatewayConfig;
import dev.overlay.config.OverlayConfig;
import dev.overlay.datapath.SaTable;
import dev.overlay.datapath.Topology;
import dev.overlay.gateway.Gateway.PortOpener;
import dev.overlay.gateway.port.PacketThreads;
import dev.overlay.steering.SpiDispatcher;
import dev.overlay.steering.SteeringPolicy;
import dev.overlay.steering.WorkerPool;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * How each part of a gateway is made from its config and {@link Gateway.Options}. Everything
 * here only constructs: threads start, ports and sockets open in {@link Gateway#start}, in the
 * order that lets a port that cannot open fail before anything runs.
 */
@Module
final class GatewayModule {
    private GatewayModule() {}

    @Provides
    static GatewayConfig gateway(OverlayConfig config) {
        return config.gateway();
    }

    @Provides
    static PortOpener portOpener(Gateway.Options options) {
        return options.ports();
    }

    @Provides
    @Singleton
    static EventLog eventLog(GatewayConfig gateway) {
        return new EventLog(gateway.name());
    }

    /** Netty's process-wide pool: buffers move between the event loop, workers and ports without copies. */
    @Provides
    static ByteBufAllocator allocator() {
        return PooledByteBufAllocator.DEFAULT;
    }

    /** One I/O thread for the underlay sockets, the udp ports and the gateway's timers. */
    @Provides
    @Singleton
    static EventLoopGroup eventLoop(GatewayConfig gateway) {
        return new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("overlay-" + gateway.name() + "-io"),
                Underlay.ioHandlerFactory());
    }

    @Provides
    @Singleton
    static WorkerPool workerPool(GatewayConfig gateway, Optional<WorkerLoops> loops, EventLog log) {
        WorkerPool.Builder b = WorkerPool.builder("overlay-" + gateway.name()).workers(gateway.workers())
                .closeTimeout(Duration.ofSeconds(3))
                .threadFactory(gateway.pinWorkers()
                        ? CpuAffinity.pinningThreads(CpuAffinity.allowed(), log, new AtomicIntegerArray(gateway.workers()))
                        : (name, index, body) -> PacketThreads.of(name, body));
        loops.ifPresent(l -> b.io(l::io));
        b.spinBeforePark(WorkerSpin.of(gateway.pinWorkers(), System.getProperty(WorkerSpin.PROPERTY)));
        return b.build();
    }

    /** Each worker's own event loop, for its own ESP socket (epoll, ESP in UDP), else empty. */
    @Provides
    @Singleton
    static Optional<WorkerLoops> workerLoops(GatewayConfig gateway) {
        return Optional.ofNullable(WorkerLoops.of(gateway));
    }

    /** Each SA's owner worker: its replay window and sequence numbers then have a single writer. */
    @Provides
    @Singleton
    static SpiDispatcher owners(WorkerPool pool) {
        return new SpiDispatcher(pool.workers());
    }

    @Provides
    static SteeringPolicy steeringPolicy(GatewayConfig gateway) {
        return SteeringPolicy.of(gateway.steering().configName());
    }

    @Provides
    @Singleton
    static SharedDrops sharedDrops() {
        return new SharedDrops();
    }

    @Provides
    @Singleton
    static Underlay underlay(GatewayConfig gateway, EventLoopGroup group, ByteBufAllocator alloc, SharedDrops shared,
                             EventLog log, Optional<WorkerLoops> loops) {
        return new Underlay(gateway, group, alloc, shared, log, loops.orElse(null));
    }

    @Provides
    @Singleton
    static Pipeline pipeline(WorkerPool pool, SteeringPolicy policy, SpiDispatcher owners, Underlay underlay,
                             ByteBufAllocator alloc, SharedDrops shared, Optional<WorkerLoops> loops) {
        return new Pipeline(pool, policy, owners, underlay, alloc, shared, loops.orElse(null));
    }

    /**
     * Outbound sequence numbers persisted in {@code gateway.state-dir}, when configured. Opened
     * (file read, thread started on first use) by {@link Gateway#start}.
     */
    @Provides
    @Singleton
    static Optional<SequenceStore> sequenceStore(GatewayConfig gateway, EventLog log) {
        return gateway.stateDir().map(dir -> new SequenceStore(dir, gateway.name(), SequenceStore.DEFAULT_STEP, log));
    }

    /**
     * The first config's topology. A reload builds its successor from the running one
     * ({@link Topology#reloaded}) in {@link Gateway#reload}, outside this graph.
     */
    @Provides
    @Singleton
    static Topology topology(OverlayConfig config) {
        return Topology.of(config);
    }

    /** The first config's SAs, with the anti-replay check on (RFC 4303 3.4.3). */
    @Provides
    @Singleton
    static SaTable saTable(Topology topology) {
        return SaTable.of(topology, true);
    }
}
