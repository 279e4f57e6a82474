package dev.overlay.steering;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * One worker thread of a {@link WorkerPool}: it drains its queue of every hand-off in turn, in
 * batches, and parks when all are empty. State a stage keeps per worker (an SA's replay window,
 * a send batch) is indexed by {@link #index()} and touched only from this thread.
 *
 * <p>Idle: once its queues are empty the worker polls them for the pool's spin window
 * ({@link WorkerPool.Builder#spinBeforePark}, measured with {@code System.nanoTime}), then parks.
 * The window should outlast a park/unpark round trip on the machine (5-47 µs on a 2-vCPU VM,
 * against about 1 µs to open a packet): a worker that parks between two bursts makes each burst
 * pay a wake-up on both sides. After the window it parks for good, so an idle gateway burns no
 * core.
 *
 * <p>Idle protocol (no lost wake-up): the worker sets {@code waiting}, re-checks its queues, then
 * parks; a producer stores its item, then reads {@code waiting} and unparks. Both sides write
 * before they read through volatile accesses, so at least one of them sees the other. A producer
 * that finds {@code waiting} false (the worker is busy or still spinning) pays one volatile read,
 * no system call.
 */
public final class Worker {
    /** Empty polls between two clock reads while spinning: a clock read costs ~20 ns, a poll ~25. */
    private static final int POLLS_PER_CLOCK_READ = 16;
    private static final VarHandle WAITING;
    private static final VarHandle WAKE_UPS;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            WAITING = lookup.findVarHandle(Worker.class, "waiting", boolean.class);
            WAKE_UPS = lookup.findVarHandle(Worker.class, "wakeUps", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final WorkerPool pool;
    private final int index;
    private final String name;
    private volatile boolean waiting;
    /** Unparks producers issued to this worker: the cost the burst API and the spin window save. */
    private volatile long wakeUps;
    /** Set before the thread starts (so the thread sees it), never changed. */
    private Thread thread;
    /** Set with the thread; null: the worker parks when idle. */
    private WorkerIo io;

    Worker(WorkerPool pool, int index, String name) {
        this.pool = pool;
        this.index = index;
        this.name = name;
    }

    /** The worker's index in its pool, 0 to {@code workers() - 1}. */
    public int index() {
        return index;
    }

    /** The thread name, {@code <pool>-worker-<index>}. */
    public String name() {
        return name;
    }

    /** True when called from this worker's thread. */
    public boolean isCurrentThread() {
        return Thread.currentThread() == thread;
    }

    /**
     * How many times producers unparked this worker so far (close() excluded). Divided by the
     * items handled, it says how many items one wake-up bought: with bursts and a spin window
     * longer than the gap between bursts it stays far below one.
     */
    public long wakeUps() {
        return wakeUps;
    }

    @Override
    public String toString() {
        return name;
    }

    void attach(Thread t, WorkerIo io) {
        thread = t;
        this.io = io;
    }

    Thread thread() {
        return thread;
    }

    /**
     * Producer side, after its items are stored: wakes the worker if it parked or is about to.
     * True if this call unparked it.
     */
    boolean wake() {
        if (waiting && WAITING.compareAndSet(this, true, false)) {
            if (io != null) {
                io.wakeup();
            } else {
                LockSupport.unpark(thread);
            }
            WAKE_UPS.getAndAdd(this, 1L);
            return true;
        }
        return false;
    }

    /** The close path: wake regardless of the flag (a permit makes the next park return). */
    void wakeForClose() {
        Thread t = thread;
        if (io != null) {
            io.wakeup();
        }
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** The thread body: the rounds, between {@link WorkerIo#start} and {@link WorkerIo#stop} when there is I/O. */
    void run(Handoff<?>[] handoffs, int batch, long spinNanos) {
        WorkerIo io = this.io;
        if (io == null) {
            rounds(handoffs, batch, spinNanos, null);
            return;
        }
        io.start(this, () -> allEmpty(handoffs) && !pool.isClosing());
        try {
            rounds(handoffs, batch, spinNanos, io);
        } finally {
            io.stop();
        }
    }

    private void rounds(Handoff<?>[] handoffs, int batch, long spinNanos, WorkerIo io) {
        int polls = 0;
        long idleSince = 0;
        while (true) {
            int done = io == null ? 0 : io.poll();
            for (Handoff<?> h : handoffs) {
                done += h.drain(this, batch);
            }
            if (done > 0) {
                polls = 0;
                continue;
            }
            // Closing is read before the queues: everything offered before close() is then seen
            // below. Read after them, a worker preempted between an empty look and this read
            // would end with what was queued meanwhile (found by BurstTest, about 1 in 1,200).
            boolean closing = pool.isClosing();
            if (!allEmpty(handoffs)) {
                // A producer has claimed a slot and not stored into it yet: nanoseconds, unless
                // it was preempted, so yield rather than spin a core the producer may need.
                Thread.yield();
                continue;
            }
            if (closing) {
                // Everything offered before closing was handled; what arrives now is released by
                // close() once this thread has ended (see WorkerPool.releaseLeftovers).
                return;
            }
            if (polls == 0) {
                idleSince = System.nanoTime();
            }
            if (polls++ % POLLS_PER_CLOCK_READ != 0 || System.nanoTime() - idleSince < spinNanos) {
                Thread.onSpinWait();
                continue;
            }
            waiting = true;
            if (allEmpty(handoffs) && !pool.isClosing()) {
                if (io != null) {
                    io.await();
                } else {
                    LockSupport.park(this);
                }
            }
            waiting = false;
            Thread.interrupted(); // only close() interrupts, and it sets closing first
            polls = 0;
        }
    }

    private boolean allEmpty(Handoff<?>[] handoffs) {
        for (Handoff<?> h : handoffs) {
            if (!h.isEmpty(index)) {
                return false;
            }
        }
        return true;
    }
}
