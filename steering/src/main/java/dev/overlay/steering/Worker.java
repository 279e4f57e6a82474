package dev.overlay.steering;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * One worker thread of a {@link WorkerPool}: it drains its queue of every hand-off in turn, in
 * batches, and parks when all are empty. State a stage keeps per worker (an SA's replay window,
 * a send batch) is indexed by {@link #index()} and touched only from this thread.
 *
 * <p>Idle protocol (no lost wake-up): the worker sets {@code waiting}, re-checks its queues, then
 * parks; a producer stores its item, then reads {@code waiting} and unparks. Both sides write
 * before they read through volatile accesses, so at least one of them sees the other.
 */
public final class Worker {
    /** Empty polls before parking: ~ a few microseconds of PAUSE, cheaper than a park/unpark pair under load. */
    private static final int SPINS_BEFORE_PARK = 256;
    private static final VarHandle WAITING;

    static {
        try {
            WAITING = MethodHandles.lookup().findVarHandle(Worker.class, "waiting", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final WorkerPool pool;
    private final int index;
    private final String name;
    private volatile boolean waiting;
    /** Set before the thread starts (so the thread sees it), never changed. */
    private Thread thread;

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

    @Override
    public String toString() {
        return name;
    }

    void attach(Thread t) {
        thread = t;
    }

    Thread thread() {
        return thread;
    }

    /** Producer side, after its item is stored: wakes the worker if it parked or is about to. */
    void wake() {
        if (waiting && WAITING.compareAndSet(this, true, false)) {
            LockSupport.unpark(thread);
        }
    }

    /** The close path: wake regardless of the flag (a permit makes the next park return). */
    void wakeForClose() {
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** The thread body. */
    void run(Handoff<?>[] handoffs, int batch) {
        int idle = 0;
        while (true) {
            int done = 0;
            for (Handoff<?> h : handoffs) {
                done += h.drain(this, batch);
            }
            if (done > 0) {
                idle = 0;
                continue;
            }
            if (!allEmpty(handoffs)) {
                // A producer has claimed a slot and not stored into it yet: nanoseconds, unless
                // it was preempted, so yield rather than spin a core the producer may need.
                Thread.yield();
                continue;
            }
            if (pool.isClosing()) {
                // Everything offered before closing was handled; what arrives now is released by
                // close() once this thread has ended (see WorkerPool.releaseLeftovers).
                return;
            }
            if (idle++ < SPINS_BEFORE_PARK) {
                Thread.onSpinWait();
                continue;
            }
            waiting = true;
            if (allEmpty(handoffs) && !pool.isClosing()) {
                LockSupport.park(this);
            }
            waiting = false;
            Thread.interrupted(); // only close() interrupts, and it sets closing first
            idle = 0;
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
