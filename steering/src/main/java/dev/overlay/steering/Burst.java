package dev.overlay.steering;

/**
 * The items one producer thread hands to a {@link Handoff} from one receive burst, with one
 * wake-up per worker for the whole burst instead of one per item (Linux RPS: the softirq queues
 * packets on other CPUs' backlogs during a NAPI poll and sends each CPU one IPI at the end,
 * {@code net_rps_action_and_irq_enable}).
 *
 * <pre>{@code
 * Burst<Job> burst = rx.burst();          // once per producer thread
 * for (each datagram of one recvmmsg) {
 *     burst.submit(owner, job);           // queued, the owner is not woken yet
 * }
 * burst.flush();                          // each owner that got items is woken once
 * }</pre>
 *
 * <p>Everything else is {@link Handoff#submit}'s contract: the item is always taken, a full queue
 * drops, releases and counts it ({@link SteeringDrop#CONGESTION}), a closed pool refuses it
 * ({@link SteeringDrop#SHUTDOWN}), nothing blocks. Items are handled in submission order per
 * worker. A worker that is busy or still in its spin window picks items up without any wake-up;
 * one that parked sees them only after {@link #flush()}, so the producer must flush before it
 * waits for more input. So that one long burst cannot fill a parked worker's queue, a worker
 * is also woken as soon as {@link #WAKE_EVERY} items have been queued for it since its last
 * wake.
 *
 * <p>Not thread-safe: one burst per producer thread (an event loop, a reader thread). No
 * allocation after construction.
 *
 * @param <T> the work item
 */
public final class Burst<T> {
    /** Items queued for one worker before it is woken without waiting for flush: one default batch. */
    public static final int WAKE_EVERY = 64;

    private final Handoff<T> handoff;
    private final Worker[] workers;
    /** Items queued per worker since it was last woken. */
    private final int[] unwoken;
    /** The workers with unwoken items, in first-submit order: flush's work list. */
    private final int[] dirty;
    private int dirtyCount;

    Burst(Handoff<T> handoff, WorkerPool pool) {
        this.handoff = handoff;
        this.workers = new Worker[handoff.workers()];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = pool.worker(i);
        }
        this.unwoken = new int[workers.length];
        this.dirty = new int[workers.length];
    }

    /**
     * Queues {@code item} for worker {@code worker} without waking it; false if it was dropped
     * (and released and counted) instead.
     *
     * @throws IllegalArgumentException if {@code worker} is out of range (the item is not taken)
     */
    public boolean submit(int worker, T item) {
        if (handoff.offer(worker, item, false) < 0) {
            return false;
        }
        int n = unwoken[worker]++;
        if (n == 0) {
            dirty[dirtyCount++] = worker;
        } else if (n + 1 >= WAKE_EVERY) {
            workers[worker].wake();
            unwoken[worker] = 1; // stays on the dirty list: flush wakes it again for what follows
        }
        return true;
    }

    /**
     * Wakes each worker that was given items since the last flush, if it is parked. Returns how
     * many workers this call actually unparked (the others were busy or spinning).
     */
    public int flush() {
        int unparked = 0;
        for (int i = 0; i < dirtyCount; i++) {
            int w = dirty[i];
            unwoken[w] = 0;
            if (workers[w].wake()) {
                unparked++;
            }
        }
        dirtyCount = 0;
        return unparked;
    }

    /** Workers with items queued since the last flush. */
    public int pendingWorkers() {
        return dirtyCount;
    }
}
