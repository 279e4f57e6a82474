package dev.overlay.steering;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.ToIntFunction;

/**
 * Hands items to one stage on a chosen worker (VPP's worker handoff): one bounded queue per
 * worker, drained by that worker only. The caller picks the worker (a {@link Dispatcher} or
 * {@link RfsSteering}); this class never looks inside an item.
 *
 * <p>Ownership: {@link #submit} takes the item in every case. It is handed to the stage, or, when
 * the queue is full or the pool is closed, given to the release callback right away on the
 * caller's thread and counted ({@link SteeringDrop#CONGESTION}, {@link SteeringDrop#SHUTDOWN}).
 * Submit never blocks and no queue grows past its capacity.
 *
 * <p>Wake-ups: {@link #submit} wakes a parked worker at once, which costs a system call (a futex
 * wake, and an inter-processor interrupt when the worker's core is idle) that can exceed the
 * item's own work. A producer that receives in bursts (recvmmsg, a poll of a ring) uses a
 * {@link Burst} instead: it queues the items and wakes each worker at most once at
 * {@link Burst#flush()}, as Linux RPS sends one IPI per CPU per NAPI poll
 * ({@code net_rps_action_and_irq_enable}).
 *
 * @param <T> the work item
 */
public final class Handoff<T> {
    private static final System.Logger LOG = System.getLogger(Handoff.class.getName());

    private final WorkerPool pool;
    private final String name;
    private final Lane<T>[] lanes;

    @SuppressWarnings("unchecked")
    Handoff(WorkerPool pool, String name, Stage<? super T> stage, Consumer<? super T> release,
            ToIntFunction<? super T> sizeOf, ToIntFunction<? super T> countOf, int capacity) {
        this.pool = pool;
        this.name = name;
        this.lanes = new Lane[pool.workers()];
        for (int i = 0; i < lanes.length; i++) {
            lanes[i] = new Lane<>(this, pool.worker(i), stage, release, sizeOf, countOf, capacity);
        }
    }

    /** The stage's name, as given to {@link WorkerPool#handoff}. */
    public String name() {
        return name;
    }

    /** The number of workers, so the valid worker indexes are 0 to {@code workers() - 1}. */
    public int workers() {
        return lanes.length;
    }

    /** Items each worker's queue holds at most. */
    public int capacity() {
        return lanes[0].queue.capacity();
    }

    /**
     * Queues {@code item} for the stage on worker {@code worker}; false if it was dropped (and
     * released and counted) instead.
     *
     * @throws IllegalArgumentException if {@code worker} is out of range (the item is not taken)
     */
    public boolean submit(int worker, T item) {
        return offer(worker, item, true) >= 0;
    }

    /**
     * Worker {@code worker}'s own thread only: the stage runs on {@code item} right here, counted
     * as a drained item, when the worker's queue of this hand-off is empty; otherwise the item is
     * queued behind what is there, so the order in which items reach the stage is kept. For a
     * worker that reads its own socket ({@link WorkerIo}): what it owns needs no hand-off. The
     * stage's batch end is due at {@link #endInline}. Returns false if the item was dropped.
     *
     * @throws IllegalStateException if called from another thread (the item is not taken)
     */
    public boolean runOrSubmit(Worker worker, T item) {
        if (!worker.isCurrentThread()) {
            throw new IllegalStateException("runOrSubmit from " + Thread.currentThread().getName() + ", not " + worker.name());
        }
        Lane<T> lane = lanes[worker.index()];
        if (!lane.queue.isEmpty() || pool.isClosing()) {
            return offer(worker.index(), item, false) >= 0;
        }
        lane.inline++;
        lane.accept(item);
        return true;
    }

    /** Worker's own thread: the stage's batch end, if {@link #runOrSubmit} ran it since the last one. */
    public void endInline(Worker worker) {
        Lane<T> lane = lanes[worker.index()];
        if (lane.inline > 0) {
            lane.inline = 0;
            try {
                lane.stage.batchEnd(worker);
            } catch (RuntimeException e) {
                lane.report(e, "batch end");
            }
        }
    }

    /**
     * As {@link #submit}, for a producer that may be paused: when the worker's queue is full it
     * waits, yielding, up to {@code maxWaitNanos} for room before the item is dropped and counted.
     * For a TAP port's reader: while it waits, the kernel holds the tenant's frames and TCP's
     * small-queue limit slows the tenant's sender, instead of the gateway dropping segments the
     * sender must retransmit. The network side never waits (a datagram is not the sender's to
     * hold): {@link #submit} and {@link Burst} stay non-blocking.
     */
    public boolean submitWaiting(int worker, T item, long maxWaitNanos) {
        Lane<T> lane = lane(worker);
        awaitBelow(lane, lane.queue.capacity(), maxWaitNanos);
        return offer(worker, item, true) >= 0;
    }

    /** Waits, yielding, up to {@code maxWaitNanos} while {@code limit} or more items are queued. */
    private void awaitBelow(Lane<T> lane, int limit, long maxWaitNanos) {
        // The clock is read only once the queue is that long: a port reader submits every tenant
        // segment here, and clock_gettime per segment was 1.1% of all CPU in the TCP profile.
        if (maxWaitNanos > 0 && lane.queue.size() >= limit) {
            long deadline = System.nanoTime() + maxWaitNanos;
            while (!pool.isClosing() && lane.queue.size() >= limit && System.nanoTime() - deadline < 0) {
                lane.worker.wake(); // it may have parked with the queue full: it must drain for us
                Thread.yield();
            }
        }
    }

    /** What {@link #submitWithin} did with its item. */
    public enum Submitted {
        /** Queued for the worker. */
        QUEUED,
        /** Dropped, released and counted (a full queue, a closed pool), as {@link #submit} drops. */
        DROPPED,
        /** Not taken: {@code limit} or more items were still queued after the wait. The item is still the caller's. */
        DECLINED
    }

    /**
     * As {@link #submitWaiting(int, Object, long)} for an item that carries many packets (a
     * super-frame's segments): it waits, yielding, up to {@code maxWaitNanos} while {@code limit}
     * or more items are queued, so that a queue of such items holds no more packets than one of
     * single ones; then it queues the item, or declines it if the queue is still that long. The
     * caller then decides what a stalled worker costs (a port's reader queues the segments one by
     * one instead, so a stall drops no more of a tenant's segments than it would have).
     *
     * @throws IllegalArgumentException if {@code worker} is out of range or {@code limit} below 1 (the item is not taken)
     */
    public Submitted submitWithin(int worker, T item, long maxWaitNanos, int limit) {
        Lane<T> lane = lane(worker);
        if (limit < 1) {
            throw new IllegalArgumentException("limit: " + limit + " (expected: at least 1)");
        }
        awaitBelow(lane, limit, maxWaitNanos);
        if (lane.queue.size() >= limit && !pool.isClosing()) {
            return Submitted.DECLINED;
        }
        return offer(worker, item, true) >= 0 ? Submitted.QUEUED : Submitted.DROPPED;
    }

    /** A new burst for one producer thread: items queued without waking, workers woken at flush. */
    public Burst<T> burst() {
        return new Burst<>(this, pool);
    }

    /** This hand-off's counters on each worker. */
    public List<WorkerStats> stats() {
        List<WorkerStats> out = new ArrayList<>(lanes.length);
        for (Lane<T> lane : lanes) {
            out.add(WorkerStats.of(lane.worker.index(), List.of(lane.counters), lane.worker.wakeUps()));
        }
        return out;
    }

    /** As submit; returns the item's position in the worker's queue, or -1 if it was dropped. */
    long offer(int worker, T item) {
        return offer(worker, item, true);
    }

    /** As {@link #offer(int, Object)}, waking the worker only if {@code wake}; the caller wakes it later. */
    long offer(int worker, T item, boolean wake) {
        Lane<T> lane = lane(worker);
        if (pool.isClosing()) {
            lane.drop(SteeringDrop.SHUTDOWN, item);
            return -1;
        }
        long position = lane.queue.offer(item);
        if (position < 0) {
            lane.drop(SteeringDrop.CONGESTION, item);
            return -1;
        }
        if (wake) {
            lane.worker.wake();
        }
        if (pool.isTerminated()) {
            // We stored after close() may have made its final sweep: sweep ourselves, so the item
            // is released rather than stranded (WorkerPool.releaseLeftovers explains the pairing).
            pool.releaseLeftovers();
        }
        return position;
    }

    /** Worker {@code worker}'s lane; an index out of range is misuse (the item is not taken). */
    private Lane<T> lane(int worker) {
        if (worker < 0 || worker >= lanes.length) {
            throw new IllegalArgumentException("worker: " + worker + " (expected: 0 to " + (lanes.length - 1) + ")");
        }
        return lanes[worker];
    }

    /** Items of {@code worker}'s queue finished (handled or failed) so far: RFS's queue head. */
    long finished(int worker) {
        return lanes[worker].queue.consumerIndex();
    }

    LaneCounters counters(int worker) {
        return lanes[worker].counters;
    }

    /** Worker thread: handles up to {@code batch} items of its queue, then the batch-end hook. */
    int drain(Worker worker, int batch) {
        Lane<T> lane = lanes[worker.index()];
        long depth = lane.queue.size();
        if (depth == 0) {
            return 0;
        }
        lane.counters.depth(depth);
        int n = lane.queue.drain(lane, batch);
        if (n > 0) {
            try {
                lane.stage.batchEnd(worker);
            } catch (RuntimeException e) {
                lane.report(e, "batch end"); // not an item: nothing to count as dropped
            }
        }
        return n;
    }

    boolean isEmpty(int worker) {
        return lanes[worker].queue.isEmpty();
    }

    /** Once no worker runs: releases what is left in the queues, waiting out producers mid-store. */
    void releaseLeftovers() {
        for (Lane<T> lane : lanes) {
            while (!lane.queue.isEmpty()) {
                if (lane.queue.drain(lane.leftovers, Integer.MAX_VALUE) == 0) {
                    Thread.onSpinWait();
                }
            }
        }
    }

    /** One hand-off's queue on one worker, and the sink that runs the stage for it. */
    private static final class Lane<T> implements MpscArrayQueue.Sink<T> {
        final Handoff<T> owner;
        final Worker worker;
        final Stage<? super T> stage;
        final Consumer<? super T> release;
        final ToIntFunction<? super T> sizeOf;
        final ToIntFunction<? super T> countOf;
        final MpscArrayQueue<T> queue;
        final LaneCounters counters = new LaneCounters();
        final MpscArrayQueue.Sink<T> leftovers = item -> drop(SteeringDrop.SHUTDOWN, item);
        /** Items runOrSubmit ran since the last batch end: worker thread only. */
        int inline;
        private boolean reportedFailure;

        Lane(Handoff<T> owner, Worker worker, Stage<? super T> stage, Consumer<? super T> release,
             ToIntFunction<? super T> sizeOf, ToIntFunction<? super T> countOf, int capacity) {
            this.owner = owner;
            this.worker = worker;
            this.stage = stage;
            this.release = release;
            this.sizeOf = sizeOf;
            this.countOf = countOf;
            this.queue = new MpscArrayQueue<>(capacity);
        }

        @Override
        public void accept(T item) {
            // Measured before handle: from there on the stage owns the item and may release it.
            int size = sizeOf.applyAsInt(item);
            int count = countOf.applyAsInt(item);
            try {
                stage.handle(item, worker);
            } catch (RuntimeException e) {
                counters.dropped(SteeringDrop.STAGE_FAILED, count);
                report(e, "an item");
                return;
            }
            counters.handled(size, count);
        }

        void drop(SteeringDrop reason, T item) {
            counters.dropped(reason, countOf.applyAsInt(item));
            release.accept(item);
        }

        /** A stage threw: a bug. Logged once per lane so a hot bug cannot flood the log. */
        void report(RuntimeException e, String what) {
            if (!reportedFailure) {
                reportedFailure = true;
                LOG.log(System.Logger.Level.WARNING, "stage " + owner.name + " threw on " + what + " on "
                        + worker.name() + " (further failures are only counted)", e);
            }
        }
    }
}
