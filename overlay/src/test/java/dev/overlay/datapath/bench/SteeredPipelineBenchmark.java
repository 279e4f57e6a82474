package dev.overlay.datapath.bench;

import dev.overlay.datapath.DropCounts;
import dev.overlay.datapath.EspOpen;
import dev.overlay.datapath.OverlayDecap;
import dev.overlay.datapath.SaTable;
import dev.overlay.datapath.Topology;
import dev.overlay.esp.EspDecrypt;
import dev.overlay.steering.Burst;
import dev.overlay.steering.Handoff;
import dev.overlay.steering.SpiDispatcher;
import dev.overlay.steering.WorkerPool;
import dev.overlay.steering.WorkerStats;
import dev.overlay.vtep.OuterHeaders;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The steered receive pipeline end to end, in packets per second: 8 AES-GCM-256 SAs over two
 * tenants (VXLAN and Geneve), 1400-byte inner frames, ESP in UDP over IPv4.
 *
 * <ol>
 *   <li>receive (benchmark thread): a pooled direct buffer filled with the next wire packet of
 *       the ring ({@link PipelinePackets}), the copy a socket read would make</li>
 *   <li>classify (benchmark thread): outer Ethernet, IPv4 and UDP parsed, ESP in UDP recognised,
 *       SPI read</li>
 *   <li>dispatch (benchmark thread): {@link SpiDispatcher} names the SA's owner, {@link Handoff}
 *       queues the buffer to it</li>
 *   <li>esp-decrypt, tenant-check, vxlan|geneve-decap (owner): {@link OverlayDecap} with the
 *       lane's own parse state, then the buffer is released (delivery is not measured)</li>
 * </ol>
 *
 * {@code mode=handoff}: {@code workers} pool threads do steps 4, the benchmark thread only steps
 * 1-3. {@code mode=shared}: the benchmark thread is one of the {@code workers} owners and decrypts
 * its own SAs' packets inline after each batch, so only {@code workers - 1} pool threads exist
 * ({@code workers=1}: run to completion on one thread, no hand-off at all).
 *
 * <p>{@code wake=burst} hands the burst on through a {@link Burst} (each owner woken at most once
 * per burst, at flush); {@code wake=item} through {@link Handoff#submit}, which wakes a parked
 * owner on the item that finds it parked. {@code spinMicros} is the pool's spin window before a
 * worker parks. Teardown prints the wake-ups per packet and the CPU time the pipeline's threads
 * (the benchmark thread and the pool's) spent per packet over the whole trial: unlike packets per
 * second, that figure barely moves when other processes share the cores.
 *
 * <p>Closed loop with a bounded window: each operation receives a burst of {@link #BATCH} packets,
 * hands them on, then waits (yielding: threads may outnumber cores) until no more than
 * {@link #WINDOW} are still queued, so the workers never starve between bursts and no queue
 * (1024 deep) ever overflows. The score is per packet.
 * Teardown fails the run if any packet was dropped or not delivered, so a figure always means
 * packets that were decrypted and decapsulated.
 *
 * <p>These are the layouts of one shared underlay socket (the gateway's with
 * {@code -Doverlay.underlay.worker-sockets=false}, or with raw ESP): one thread receives
 * everything. {@link WorkerSocketsPipelineBenchmark} is the gateway's default since each worker
 * reads its own socket, steered by SPI in the kernel.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class SteeredPipelineBenchmark {
    static final int BATCH = 64;
    /** Packets the pool may still have queued when an operation returns: a receive ring's worth. */
    static final int WINDOW = 4 * BATCH;
    private static final int PER_SA = 32;
    private static final int RECEIVE_BUFFER = 2048;
    /** Stride of the handled counters, in longs: each lane's count on a cache line (and its neighbour) of its own. */
    private static final int STRIDE = 16;

    @Param({"1", "2"})
    public int workers;

    @Param({"handoff", "shared"})
    public String mode;

    @Param({"burst", "item"})
    public String wake;

    @Param({"50"})
    public int spinMicros;

    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private final OuterHeaders outer = new OuterHeaders();
    private final ByteBuf[] burst = new ByteBuf[BATCH];
    private final int[] owners = new int[BATCH];
    private final ByteBuf[] mine = new ByteBuf[BATCH];
    private ByteBuf[] ring;
    private Topology topology;
    private SaTable sas;
    private EspOpen classify;
    private SpiDispatcher dispatcher;
    private WorkerPool pool;
    private Handoff<ByteBuf> decrypt;
    private Burst<ByteBuf> handOn;
    private boolean burstWake;
    private Lane[] lanes;
    private AtomicLongArray handled;
    /** The owner index the benchmark thread plays in shared mode; -1 in handoff mode. */
    private int inline;
    private int next;
    private long received;
    private long accepted;
    private long refused;
    /** CPU time of the benchmark thread at setup (the trial's setup and teardown run on it). */
    private long setupCpu;

    /** The per-owner state of esp-decrypt and decap: touched only by the lane's thread. */
    private static final class Lane {
        final OverlayDecap decap;
        final OverlayDecap.Result result = new OverlayDecap.Result();
        final DropCounts drops = new DropCounts();
        long delivered;
        long bytes;

        Lane(Topology topology, SaTable sas) {
            decap = new OverlayDecap(topology, sas, false);
        }

        void handle(ByteBuf buf) {
            try {
                if (decap.decapsulate(buf, result, drops)) {
                    delivered++;
                    bytes += buf.readableBytes();
                }
            } finally {
                buf.release();
            }
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        boolean shared = switch (mode) {
            case "handoff" -> false;
            case "shared" -> true;
            default -> throw new IllegalArgumentException("mode: " + mode + " (expected: handoff or shared)");
        };
        ring = PipelinePackets.wirePackets(PER_SA);
        topology = Topology.of(PipelinePackets.receiver());
        sas = SaTable.of(topology, true);
        classify = new EspOpen(topology, sas);
        dispatcher = new SpiDispatcher(workers);
        for (int sa = 0; sa < PipelinePackets.SAS; sa++) {
            dispatcher.assign(SpiDispatcher.Direction.IN, PipelinePackets.spi(sa));
        }
        lanes = new Lane[workers];
        for (int i = 0; i < workers; i++) {
            lanes[i] = new Lane(topology, sas);
        }
        handled = new AtomicLongArray(workers * STRIDE);
        burstWake = switch (wake) {
            case "burst" -> true;
            case "item" -> false;
            default -> throw new IllegalArgumentException("wake: " + wake + " (expected: burst or item)");
        };
        inline = shared ? workers - 1 : -1;
        int threads = shared ? workers - 1 : workers;
        if (threads > 0) {
            // FastThreadLocalThreads, as the gateway's workers (Netty recycles buffers only on those).
            pool = WorkerPool.builder("bench-rx").workers(threads).queueCapacity(1024)
                    .spinBeforePark(Duration.ofNanos(spinMicros * 1_000L))
                    .threadFactory((name, index, body) -> new io.netty.util.concurrent.FastThreadLocalThread(body, name))
                    .build();
            decrypt = pool.handoff("esp-decrypt", (buf, w) -> {
                int i = w.index();
                lanes[i].handle(buf);
                handled.setRelease(i * STRIDE, handled.getPlain(i * STRIDE) + 1);
            }, ByteBuf::release, ByteBuf::readableBytes);
            handOn = decrypt.burst();
            pool.start();
        }
        setupCpu = java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
    }

    /**
     * Steps 1-2 for a burst, step 3 for the whole burst (as a receive loop hands on what one
     * {@code recvmmsg} or epoll wake-up brought), step 4 for the benchmark thread's own share,
     * then the window wait.
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long receive() {
        for (int k = 0; k < BATCH; k++) {
            ByteBuf wire = ring[next];
            next = next + 1 == ring.length ? 0 : next + 1;
            ByteBuf buf = alloc.directBuffer(RECEIVE_BUFFER);
            buf.writeBytes(wire, 0, wire.writerIndex());
            burst[k] = buf;
            owners[k] = dispatcher.workerFor(spi(buf));
        }
        received += BATCH;
        int own = 0;
        for (int k = 0; k < BATCH; k++) {
            ByteBuf buf = burst[k];
            burst[k] = null;
            if (owners[k] == inline) {
                mine[own++] = buf;
            } else if (burstWake ? handOn.submit(owners[k], buf) : decrypt.submit(owners[k], buf)) {
                accepted++;
            } else {
                refused++;
            }
        }
        if (burstWake && handOn != null) {
            handOn.flush();
        }
        Lane lane = own > 0 ? lanes[inline] : null;
        for (int i = 0; i < own; i++) {
            lane.handle(mine[i]);
            mine[i] = null;
        }
        long floor = accepted - WINDOW;
        while (handledByPool() < floor) {
            Thread.yield();
        }
        return accepted;
    }

    /** Classify: the SPI of an ESP-in-UDP packet. Every packet of the ring is one (checked at teardown). */
    private int spi(ByteBuf buf) {
        if (OuterHeaders.parse(buf, outer, false) != null) {
            return 0;
        }
        int at = classify.espOffset(buf, outer);
        return at < 0 ? 0 : EspDecrypt.spi(buf, at);
    }

    private long handledByPool() {
        long sum = 0;
        for (int i = 0; i < workers; i++) {
            sum += handled.getAcquire(i * STRIDE);
        }
        return sum;
    }

    /** CPU time since setup of this thread [0] and of the pool's threads [1] (started at setup's end). */
    private long[] pipelineCpuNanos() {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long[] cpu = {mx.getCurrentThreadCpuTime() - setupCpu, 0};
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("bench-rx-worker-")) {
                cpu[1] += Math.max(0, mx.getThreadCpuTime(t.threadId()));
            }
        }
        return cpu;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        while (handledByPool() < accepted) {
            Thread.yield();
        }
        long[] cpu = pipelineCpuNanos();
        if (pool != null) {
            pool.close();
        }
        long delivered = 0;
        long dropped = 0;
        StringBuilder share = new StringBuilder();
        for (int i = 0; i < workers; i++) {
            Lane lane = lanes[i];
            delivered += lane.delivered;
            dropped += lane.drops.total();
            share.append(i == inline ? " bench-thread " : " worker-" + i + " ").append(lane.delivered);
            if (lane.drops.total() > 0) {
                share.append(" (dropped ").append(lane.drops).append(')');
            }
        }
        long wakeUps = 0;
        if (pool != null) {
            for (WorkerStats s : pool.stats()) {
                dropped += s.dropped();
            }
            for (int i = 0; i < pool.workers(); i++) {
                wakeUps += pool.worker(i).wakeUps();
            }
        }
        System.out.printf("%n[%s, %d workers, wake=%s, spin=%d us] delivered%s; refused by hand-off %d;"
                        + " wake-ups %d (%.4f per handed-on packet); CPU per packet: benchmark thread %.0f ns,"
                        + " pool threads %.0f ns%n",
                mode, workers, wake, spinMicros, share, refused, wakeUps, (double) wakeUps / Math.max(1, accepted),
                (double) cpu[0] / Math.max(1, received), (double) cpu[1] / Math.max(1, received));
        sas.close();
        for (ByteBuf b : ring) {
            b.release();
        }
        if (dropped > 0 || refused > 0 || delivered != received) {
            throw new IllegalStateException("the pipeline lost packets (received " + received + ", delivered "
                    + delivered + ", " + dropped + " dropped in stages, " + refused + " at the hand-off): "
                    + "the figure would not be end-to-end throughput");
        }
    }
}
