package dev.overlay.datapath.bench;

import dev.overlay.datapath.DropCounts;
import dev.overlay.datapath.EspOpen;
import dev.overlay.datapath.OverlayDecap;
import dev.overlay.datapath.SaTable;
import dev.overlay.datapath.Topology;
import dev.overlay.esp.EspDecrypt;
import dev.overlay.steering.SpiDispatcher;
import dev.overlay.vtep.OuterHeaders;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * The steered receive pipeline as the gateway runs it with one ESP socket per worker
 * ({@code WorkerLoops}, {@code ReuseportSteering}): the kernel's BPF program has already put each
 * datagram on the socket of its SA's owner, so each worker thread, in packets per second summed
 * over the workers:
 *
 * <ol>
 *   <li>receive: one of the worker's {@value #BATCH} receive buffers (pooled direct, reused as
 *       recvmmsg's slots are: on the gateway's FastThreadLocalThreads Netty recycles each packet's
 *       buffer, on JMH's plain threads it cannot) filled with the next packet of its own ring
 *       (the datagrams of the SAs it owns), the copy a socket read makes</li>
 *   <li>classify: outer Ethernet, IPv4 and UDP parsed, ESP in UDP recognised, SPI read</li>
 *   <li>dispatch: {@link SpiDispatcher} names the owner; it is this thread (a packet that was
 *       not would be handed on: counted, and teardown fails the run if any was)</li>
 *   <li>esp-decrypt (AES-GCM-256), tenant-check, vxlan|geneve-decap (delivery is not measured)</li>
 * </ol>
 *
 * 8 SAs over two tenants, 1400-byte inner frames, as {@link SteeredPipelineBenchmark}, whose
 * {@code handoff} and {@code shared} modes are the one-socket layouts this one replaces. One
 * worker is one thread ({@code oneWorker}), two are two ({@code twoWorkers}), on this 2-core
 * machine: nothing else runs the pipeline.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class WorkerSocketsPipelineBenchmark {
    static final int BATCH = 64;
    private static final int PER_SA = 32;
    private static final int RECEIVE_BUFFER = 2048;

    /** What the workers share: the SAs (each touched by its owner only), the owners, the packets. */
    @State(Scope.Benchmark)
    public static class Gateway {
        ByteBuf[] ring;
        Topology topology;
        SaTable sas;
        SpiDispatcher dispatcher;
        final AtomicInteger nextWorker = new AtomicInteger();

        @Setup(Level.Trial)
        public void setUp(BenchmarkParams params) {
            ring = PipelinePackets.wirePackets(PER_SA);
            topology = Topology.of(PipelinePackets.receiver());
            sas = SaTable.of(topology, true);
            dispatcher = new SpiDispatcher(params.getThreads());
            for (int sa = 0; sa < PipelinePackets.SAS; sa++) {
                dispatcher.assign(SpiDispatcher.Direction.IN, PipelinePackets.spi(sa));
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            sas.close();
            for (ByteBuf b : ring) {
                b.release();
            }
        }
    }

    /** One worker: its socket's packets (its own SAs'), its parse state and counters. */
    @State(Scope.Thread)
    public static class Worker {
        final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
        final OuterHeaders outer = new OuterHeaders();
        final OverlayDecap.Result result = new OverlayDecap.Result();
        final DropCounts drops = new DropCounts();
        int index;
        ByteBuf[] mine;
        final ByteBuf[] slots = new ByteBuf[BATCH];
        SpiDispatcher dispatcher;
        EspOpen classify;
        OverlayDecap decap;
        int next;
        long received;
        long delivered;
        long misdelivered;

        @Setup(Level.Trial)
        public void setUp(Gateway gw) {
            index = gw.nextWorker.getAndIncrement();
            dispatcher = gw.dispatcher;
            classify = new EspOpen(gw.topology, gw.sas);
            decap = new OverlayDecap(gw.topology, gw.sas, false);
            List<ByteBuf> own = new ArrayList<>();
            for (ByteBuf wire : gw.ring) {
                if (dispatcher.workerFor(EspDecrypt.spi(wire, 42)) == index) {
                    own.add(wire);
                }
            }
            if (own.isEmpty()) {
                throw new IllegalStateException("worker " + index + " owns no SA of the 8");
            }
            mine = own.toArray(ByteBuf[]::new);
            for (int k = 0; k < BATCH; k++) {
                slots[k] = alloc.directBuffer(RECEIVE_BUFFER);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            System.out.printf("%n[worker %d] %d SAs' packets: received %d, delivered %d, dropped %d, misdelivered %d%n",
                    index, mine.length / PER_SA, received, delivered, drops.total(), misdelivered);
            for (ByteBuf slot : slots) {
                slot.release();
            }
            if (drops.total() > 0 || misdelivered > 0 || delivered != received) {
                throw new IllegalStateException("worker " + index + " lost packets (" + drops + ", misdelivered "
                        + misdelivered + "): the figure would not be end-to-end throughput");
            }
        }

        void receiveBatch() {
            for (int k = 0; k < BATCH; k++) {
                ByteBuf wire = mine[next];
                next = next + 1 == mine.length ? 0 : next + 1;
                ByteBuf buf = slots[k].clear();
                buf.writeBytes(wire, 0, wire.writerIndex());
                received++;
                if (dispatcher.workerFor(spi(buf)) != index) {
                    misdelivered++;
                    continue;
                }
                if (decap.decapsulate(buf, result, drops)) {
                    delivered++;
                }
            }
        }

        private int spi(ByteBuf buf) {
            if (OuterHeaders.parse(buf, outer, false) != null) {
                return 0;
            }
            int at = classify.espOffset(buf, outer);
            return at < 0 ? 0 : EspDecrypt.spi(buf, at);
        }
    }

    @Benchmark
    @Threads(1)
    @OperationsPerInvocation(BATCH)
    public long oneWorker(Worker w) {
        w.receiveBatch();
        return w.delivered;
    }

    @Benchmark
    @Threads(2)
    @OperationsPerInvocation(BATCH)
    public long twoWorkers(Worker w) {
        w.receiveBatch();
        return w.delivered;
    }
}
