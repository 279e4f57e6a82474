package dev.overlay.steering.bench;

import dev.overlay.steering.Burst;
import dev.overlay.steering.Dispatcher;
import dev.overlay.steering.Handoff;
import dev.overlay.steering.SpiDispatcher;
import dev.overlay.steering.SteeringHash;
import dev.overlay.steering.SteeringPolicy;
import dev.overlay.steering.WorkerPool;
import dev.overlay.steering.WorkerStats;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 * The cost of dispatch per packet on the receive thread: the key's hash and owner lookup
 * ({@code spi}) or the 4-tuple hash ({@code flow}), then the hand-off to the chosen worker,
 * whose stage consumes the item. Target: under 100 ns. The worker side runs concurrently, so
 * the figure includes the queue's cross-core traffic and, when the worker idles, its wake-up.
 *
 * <p>{@code dispatch} is open loop: the producer runs flat out, so once the worker falls behind
 * most items take the drop path (teardown prints the share). {@code dispatchBurstUntilHandled}
 * is closed loop and never drops; {@code dispatchBurstFlushedUntilHandled} is the same through a
 * {@link Burst} (each worker woken at most once per burst). {@code dispatchOnly} is the hash and lookup alone; {@code arrayBlockingQueue} is the same
 * hand-off through the JDK's locked queue with a blocking consumer, the alternative the MPSC
 * queue has to beat. At teardown each run prints how many items were handled and how many were
 * dropped as congestion, since a full queue's drop path costs differently from an enqueue.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class DispatchBenchmark {
    private static final int KEYS = 64;
    private static final int BURST = 32;
    private static final int PEER_BASE = 0xC000_0200;  // 192.0.2.0
    private static final int US = 0xC000_0201;

    @Param({"spi", "flow"})
    public String policy;

    @Param({"1", "2"})
    public int workers;

    private WorkerPool pool;
    private Handoff<Object> handoff;
    private Burst<Object> burst;
    private Dispatcher dispatcher;
    private final int[] keys = new int[KEYS];
    private final Object[] items = new Object[KEYS];
    private boolean flow;
    private int next;

    /** What the stage does: read the item, so the consumer touches what the producer published. */
    private static final class Sink {
        long consumed;
        /** Items handled, published for the closed-loop benchmark (lazySet: no fence per item). */
        final AtomicLong handled = new AtomicLong();
    }

    private Sink[] sinks;
    private ArrayBlockingQueue<Object>[] abq;
    private Thread[] abqConsumers;

    @Setup(Level.Trial)
    @SuppressWarnings("unchecked")
    public void setUp() {
        SteeringPolicy p = SteeringPolicy.of(policy);
        flow = p == SteeringPolicy.FLOW;
        dispatcher = Dispatcher.of(p, workers);
        for (int i = 0; i < KEYS; i++) {
            items[i] = new long[] {i};
            if (dispatcher instanceof SpiDispatcher spis) {
                keys[i] = 0x1000 + i;
                spis.assign(SpiDispatcher.Direction.IN, keys[i]);
            } else {
                keys[i] = PEER_BASE + i; // 64 peers' addresses: the tuple is hashed per packet
            }
        }
        sinks = new Sink[workers];
        for (int i = 0; i < workers; i++) {
            sinks[i] = new Sink();
        }
        pool = WorkerPool.builder("bench").workers(workers).queueCapacity(1024).build();
        handoff = pool.handoff("consume", (item, w) -> {
            Sink sink = sinks[w.index()];
            sink.consumed += ((long[]) item)[0];
            sink.handled.lazySet(sink.handled.get() + 1);
        }, item -> {});
        burst = handoff.burst();
        pool.start();

        abq = new ArrayBlockingQueue[workers];
        abqConsumers = new Thread[workers];
        for (int i = 0; i < workers; i++) {
            ArrayBlockingQueue<Object> q = new ArrayBlockingQueue<>(1024);
            Sink sink = new Sink();
            abq[i] = q;
            abqConsumers[i] = Thread.ofPlatform().name("bench-abq-" + i).daemon().start(() -> {
                try {
                    while (true) {
                        sink.consumed += ((long[]) q.take())[0];
                    }
                } catch (InterruptedException e) {
                    // teardown
                }
            });
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        pool.close();
        long handled = 0;
        long dropped = 0;
        for (WorkerStats s : pool.stats()) {
            handled += s.packets();
            dropped += s.dropped();
        }
        long wakeUps = 0;
        for (int i = 0; i < workers; i++) {
            wakeUps += pool.worker(i).wakeUps();
        }
        System.out.printf("%n[%s, %d workers] handled %d, dropped %d (%.1f%%), wake-ups %d%n",
                policy, workers, handled, dropped, 100.0 * dropped / Math.max(1, handled + dropped), wakeUps);
        for (Thread t : abqConsumers) {
            t.interrupt();
            t.join();
        }
    }

    private int worker(int i) {
        int key = keys[i];
        return dispatcher.workerFor(flow ? SteeringHash.ipv4(key, US, 4500, 4500) : key);
    }

    @Benchmark
    public int dispatchOnly() {
        int i = next++ & (KEYS - 1);
        return worker(i);
    }

    @Benchmark
    public boolean dispatch() {
        int i = next++ & (KEYS - 1);
        return handoff.submit(worker(i), items[i]);
    }

    private long accepted;

    /**
     * Closed loop: 32 packets dispatched, then wait until the workers have handled them; the
     * score is per packet. Queues never fill, so this is the enqueue path end to end, including
     * the consumer's share and the wake-up of a worker that went idle between bursts.
     */
    @Benchmark
    @OperationsPerInvocation(BURST)
    public long dispatchBurstUntilHandled() {
        for (int k = 0; k < BURST; k++) {
            int i = next++ & (KEYS - 1);
            if (handoff.submit(worker(i), items[i])) {
                accepted++;
            }
        }
        return awaitHandled();
    }

    /** As dispatchBurstUntilHandled, through a Burst: one wake-up per worker per burst at most. */
    @Benchmark
    @OperationsPerInvocation(BURST)
    public long dispatchBurstFlushedUntilHandled() {
        for (int k = 0; k < BURST; k++) {
            int i = next++ & (KEYS - 1);
            if (burst.submit(worker(i), items[i])) {
                accepted++;
            }
        }
        burst.flush();
        return awaitHandled();
    }

    private long awaitHandled() {
        long handled;
        do {
            handled = 0;
            for (Sink sink : sinks) {
                handled += sink.handled.get();
            }
        } while (handled < accepted);
        return handled;
    }

    @Benchmark
    public boolean arrayBlockingQueue() {
        int i = next++ & (KEYS - 1);
        return abq[worker(i)].offer(items[i]);
    }
}
