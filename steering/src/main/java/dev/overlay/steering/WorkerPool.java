package dev.overlay.steering;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.function.ToIntFunction;

/**
 * N worker threads, each draining one bounded queue per {@link Handoff}. Build it, register the
 * hand-offs (one per stage that runs on the workers: {@code esp-decrypt}, {@code deliver}, ...),
 * then {@link #start()}:
 *
 * <pre>{@code
 * try (WorkerPool pool = WorkerPool.builder("rx").workers(2).build()) {
 *     Handoff<ByteBuf> decrypt = pool.handoff("esp-decrypt", stage, ByteBuf::release, ByteBuf::readableBytes);
 *     pool.start();
 *     decrypt.submit(spis.workerFor(spi), buf);   // never blocks; a full queue drops and releases
 * }
 * }</pre>
 *
 * <p>Shutdown ({@link #close()}, idempotent): new items are refused and released
 * ({@link SteeringDrop#SHUTDOWN}); each worker handles everything already queued, then ends; the
 * threads are joined within the close timeout; anything a racing producer stored after its
 * worker ended is released and counted. No item is lost silently and no thread outlives close.
 * Items a stage hands on to another hand-off while the pool closes are refused like any other
 * (released, counted as shutdown): closing ends the pipeline at every stage at once.
 */
public final class WorkerPool implements AutoCloseable {
    private final String name;
    private final Worker[] workers;
    private final int queueCapacity;
    private final int batchSize;
    private final long spinNanos;
    private final Duration closeTimeout;
    private final WorkerThreadFactory threadFactory;
    private final IntFunction<WorkerIo> io;
    private final Object sweepLock = new Object();
    /** Copy-on-write: read without the lock by stats() and the sweep, so neither waits for close(). */
    private volatile Handoff<?>[] handoffs = new Handoff<?>[0];
    private boolean started;
    private volatile boolean closing;
    private volatile boolean terminated;

    private WorkerPool(Builder b) {
        this.name = b.name;
        this.queueCapacity = b.queueCapacity;
        this.batchSize = b.batchSize;
        this.spinNanos = b.spinBeforePark.toNanos();
        this.closeTimeout = b.closeTimeout;
        this.threadFactory = b.threadFactory;
        this.io = b.io;
        this.workers = new Worker[b.workers];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(this, i, name + "-worker-" + i);
        }
    }

    /** A builder for a pool whose threads are named {@code <name>-worker-<index>}. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    public String name() {
        return name;
    }

    /** How long an idle worker polls before it parks ({@link Builder#spinBeforePark}). */
    public Duration spinBeforePark() {
        return Duration.ofNanos(spinNanos);
    }

    public int workers() {
        return workers.length;
    }

    public Worker worker(int index) {
        if (index < 0 || index >= workers.length) {
            throw new IllegalArgumentException("worker: " + index + " (expected: 0 to " + (workers.length - 1) + ")");
        }
        return workers[index];
    }

    /** As {@link #handoff(String, Stage, Consumer, ToIntFunction)} with items counted as zero bytes. */
    public <T> Handoff<T> handoff(String stageName, Stage<? super T> stage, Consumer<? super T> release) {
        return handoff(stageName, stage, release, item -> 0);
    }

    /**
     * Registers a stage with a queue of the pool's capacity on every worker. Only before
     * {@link #start()}.
     *
     * @param release takes ownership of each dropped item (for Netty buffers {@code ByteBuf::release})
     * @param sizeOf the item's size for the byte counters, read before the stage runs
     */
    public <T> Handoff<T> handoff(String stageName, Stage<? super T> stage, Consumer<? super T> release,
                                 ToIntFunction<? super T> sizeOf) {
        return handoff(stageName, stage, release, sizeOf, item -> 1);
    }

    /**
     * As {@link #handoff(String, Stage, Consumer, ToIntFunction)}, for items that may carry
     * several packets: {@code countOf} says how many, for the packet and drop counters.
     */
    public synchronized <T> Handoff<T> handoff(String stageName, Stage<? super T> stage, Consumer<? super T> release,
                                               ToIntFunction<? super T> sizeOf, ToIntFunction<? super T> countOf) {
        Objects.requireNonNull(stageName, "stageName");
        Objects.requireNonNull(stage, "stage");
        Objects.requireNonNull(release, "release");
        Objects.requireNonNull(sizeOf, "sizeOf");
        Objects.requireNonNull(countOf, "countOf");
        if (started || closing) {
            throw new IllegalStateException("pool " + name + ": hand-offs are registered before start()");
        }
        Handoff<T> h = new Handoff<>(this, stageName, stage, release, sizeOf, countOf, queueCapacity);
        Handoff<?>[] grown = Arrays.copyOf(handoffs, handoffs.length + 1);
        grown[handoffs.length] = h;
        handoffs = grown;
        return h;
    }

    /** Starts the worker threads. */
    public synchronized void start() {
        if (started || closing) {
            throw new IllegalStateException("pool " + name + ": already " + (closing ? "closed" : "started"));
        }
        started = true;
        Handoff<?>[] snapshot = handoffs;
        for (Worker w : workers) {
            Thread t = threadFactory.newThread(w.name(), w.index(), () -> w.run(snapshot, batchSize, spinNanos));
            if (t == null || t.getState() != Thread.State.NEW) {
                throw new IllegalStateException("thread factory must return a new, unstarted thread for " + w.name());
            }
            w.attach(t, io == null ? null : io.apply(w.index()));
        }
        for (Worker w : workers) {
            w.thread().start();
        }
    }

    /** Each worker's counters summed over its hand-offs. */
    public List<WorkerStats> stats() {
        Handoff<?>[] all = handoffs;
        List<WorkerStats> out = new ArrayList<>(workers.length);
        for (Worker w : workers) {
            List<LaneCounters> lanes = new ArrayList<>(all.length);
            for (Handoff<?> h : all) {
                lanes.add(h.counters(w.index()));
            }
            out.add(WorkerStats.of(w.index(), lanes, w.wakeUps()));
        }
        return out;
    }

    /** True once close() has begun. */
    public boolean isClosed() {
        return closing;
    }

    /**
     * Stops the pool: refuses new items, lets each worker finish its queue, joins the threads.
     * Idempotent.
     *
     * @throws IllegalStateException if called from a worker, or if a worker did not end within
     *     the close timeout even after an interrupt (a stage is stuck: a bug)
     */
    @Override
    public synchronized void close() {
        if (terminated) {
            return;
        }
        for (Worker w : workers) {
            if (w.isCurrentThread()) {
                throw new IllegalStateException("pool " + name + " closed from its own worker " + w.name());
            }
        }
        closing = true;
        for (Worker w : workers) {
            w.wakeForClose();
        }
        long deadline = System.nanoTime() + closeTimeout.toNanos();
        for (Worker w : workers) {
            join(w, deadline);
        }
        for (Worker w : workers) {
            Thread t = w.thread();
            if (t != null && t.isAlive()) {
                t.interrupt();
                join(w, System.nanoTime() + Duration.ofSeconds(1).toNanos());
                if (t.isAlive()) {
                    throw new IllegalStateException("worker " + w.name() + " did not stop within "
                            + closeTimeout.toMillis() + " ms: a stage is blocked");
                }
            }
        }
        // Dekker pairing with Handoff.offer: a producer stores, then reads `terminated`; we write
        // `terminated`, then sweep. Whichever comes second sees the item, so it is released once.
        terminated = true;
        releaseLeftovers();
    }

    boolean isClosing() {
        return closing;
    }

    boolean isTerminated() {
        return terminated;
    }

    /** Called once every worker has ended, by close() or by a producer that raced it. */
    void releaseLeftovers() {
        synchronized (sweepLock) { // one consumer at a time: the queues are single-consumer
            for (Handoff<?> h : handoffs) {
                h.releaseLeftovers();
            }
        }
    }

    private static void join(Worker w, long deadlineNanos) {
        Thread t = w.thread();
        if (t == null) {
            return;
        }
        boolean interrupted = false;
        try {
            while (t.isAlive()) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                try {
                    t.join(Duration.ofNanos(left));
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * The default spin window: a park/unpark round trip measured 5-47 µs on a loaded 2-vCPU VM,
     * so 50 µs covers most of them. The price is at most 50 µs of polling after each burst (a
     * sparse stream costs up to that per packet); a pool with nothing to do parks for good.
     */
    public static final Duration DEFAULT_SPIN_BEFORE_PARK = Duration.ofNanos(50_000);
    private static final Duration MAX_SPIN_BEFORE_PARK = Duration.ofMillis(10);

    /** Options of a pool; every one has a default. */
    public static final class Builder {
        private final String name;
        private int workers = Runtime.getRuntime().availableProcessors();
        private int queueCapacity = 1024;
        private int batchSize = 64;
        private Duration spinBeforePark = DEFAULT_SPIN_BEFORE_PARK;
        private Duration closeTimeout = Duration.ofSeconds(5);
        private WorkerThreadFactory threadFactory = WorkerThreadFactory.PLATFORM;
        private IntFunction<WorkerIo> io;

        private Builder(String name) {
            if (name == null || name.isEmpty()) {
                throw new IllegalArgumentException("name: " + name + " (expected: non-empty)");
            }
            this.name = name;
        }

        /** The {@code gateway.workers} config value; default: the number of cores. */
        public Builder workers(int n) {
            if (n < 1 || n > 1024) {
                throw new IllegalArgumentException("workers: " + n + " (expected: 1 to 1024)");
            }
            workers = n;
            return this;
        }

        /** Items per queue (rounded up to a power of two); default 1024. */
        public Builder queueCapacity(int n) {
            if (n < 2 || n > 1 << 24) {
                throw new IllegalArgumentException("queueCapacity: " + n + " (expected: 2 to 2^24)");
            }
            queueCapacity = Integer.highestOneBit(n - 1) << 1;
            return this;
        }

        /** Items a worker takes from one queue before it looks at the next; default 64. */
        public Builder batchSize(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("batchSize: " + n + " (expected: > 0)");
            }
            batchSize = n;
            return this;
        }

        /**
         * How long an idle worker keeps polling its queues before it parks; default
         * {@link #DEFAULT_SPIN_BEFORE_PARK}. Longer than a park/unpark round trip on the machine
         * saves the wake-up when bursts follow each other closely; zero parks at once (fewest CPU
         * cycles when cores are oversubscribed). An idle pool parks after this window either way.
         */
        public Builder spinBeforePark(Duration window) {
            if (window.isNegative() || window.compareTo(MAX_SPIN_BEFORE_PARK) > 0) {
                throw new IllegalArgumentException("spinBeforePark: " + window + " (expected: 0 to "
                        + MAX_SPIN_BEFORE_PARK + ")");
            }
            spinBeforePark = window;
            return this;
        }

        /** How long close() waits for the workers to finish their queues; default 5 s. */
        public Builder closeTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("closeTimeout: " + timeout + " (expected: > 0)");
            }
            closeTimeout = timeout;
            return this;
        }

        /** The hook for pinning workers to cores; default: named platform threads. */
        public Builder threadFactory(WorkerThreadFactory factory) {
            threadFactory = Objects.requireNonNull(factory, "factory");
            return this;
        }

        /**
         * I/O each worker drives on its own thread ({@link WorkerIo}), made per worker index at
         * start(); default none (an idle worker parks).
         */
        public Builder io(IntFunction<WorkerIo> perWorker) {
            io = Objects.requireNonNull(perWorker, "perWorker");
            return this;
        }

        public WorkerPool build() {
            return new WorkerPool(this);
        }
    }
}
