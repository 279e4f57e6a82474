package dev.overlay.steering;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The {@code rfs} policy's second step: after decryption on the SA's owner, each inner flow is
 * delivered by the worker that owns where it is going, without ever reordering the flow.
 *
 * <p>Linux Receive Flow Steering (Documentation/networking/scaling.rst; net/core/dev.c
 * {@code get_rps_cpu}) keeps two tables, and so do we:
 * <ul>
 * <li>the <em>desired</em> table ({@code rps_sock_flow_table}): flow hash to the worker where
 *     the flow's consumer runs, here the worker that last transmitted the flow
 *     ({@link #recordTransmit}) or the port owner the caller passes. Shared, racy, a hint.
 * <li>the <em>current</em> table ({@code rps_dev_flow_table}, one per receive queue): flow hash
 *     to the worker now delivering the flow, and {@code last_qtail}, the position in that
 *     worker's queue just after the flow's last packet. One {@link FlowTable} per producer
 *     thread, so it has a single writer and needs no atomics.
 * </ul>
 * A flow moves from its current worker to the desired one only when the current worker has
 * finished everything up to {@code last_qtail} (Linux: {@code input_queue_head - last_qtail >= 0}):
 * then none of its packets is still queued or being handled there, and the next one may start
 * on the new worker without overtaking them.
 *
 * <p>The guarantee needs every packet of a flow to go through the same {@link FlowTable}, which
 * holds when the flow arrives on one SA (one owner worker, one table). Flows whose hashes share a
 * table slot are steered together; each still keeps its order.
 *
 * @param <T> the work item
 */
public final class RfsSteering<T> {
    private static final VarHandle DESIRED = MethodHandles.arrayElementVarHandle(long[].class);

    private final Handoff<T> deliver;
    private final int tableSize;
    /** Entry: flow hash in the high 32 bits, worker + 1 in the low (0: no entry). */
    private final long[] desired;
    private final int desiredMask;

    /**
     * @param deliver the hand-off of the delivering stage
     * @param tableSize slots of the desired table and of each flow table (rounded up to a power
     *     of two; Linux's {@code rps_sock_flow_entries} and {@code rps_flow_cnt})
     */
    public RfsSteering(Handoff<T> deliver, int tableSize) {
        if (tableSize < 1 || tableSize > 1 << 24) {
            throw new IllegalArgumentException("tableSize: " + tableSize + " (expected: 1 to 2^24)");
        }
        this.deliver = deliver;
        this.tableSize = Math.max(2, Integer.highestOneBit(tableSize - 1) << 1);
        this.desired = new long[this.tableSize];
        this.desiredMask = this.tableSize - 1;
    }

    /** A flow table for one producer thread; it must only be used from that thread. */
    public FlowTable newFlowTable() {
        return new FlowTable(tableSize, deliver.workers());
    }

    /** Records that {@code worker} transmitted the flow: its replies will be steered there. Any thread. */
    public void recordTransmit(int flowHash, int worker) {
        if (worker < 0 || worker >= deliver.workers()) {
            throw new IllegalArgumentException("worker: " + worker + " (expected: 0 to " + (deliver.workers() - 1) + ")");
        }
        // Opaque: a racy hint like Linux's sock flow table; no ordering is needed, only no tearing.
        DESIRED.setOpaque(desired, SteeringHash.mix(flowHash) & desiredMask, (long) flowHash << 32 | (worker + 1));
    }

    /** The worker recorded for the flow, or -1. */
    public int desiredWorker(int flowHash) {
        long e = (long) DESIRED.getOpaque(desired, SteeringHash.mix(flowHash) & desiredMask);
        return e != 0 && (int) (e >>> 32) == flowHash ? (int) e - 1 : -1;
    }

    /** Delivers {@code item} of flow {@code flowHash} towards its recorded worker; see {@link #submit(FlowTable, int, int, Object)}. */
    public boolean submit(FlowTable table, int flowHash, T item) {
        return submit(table, flowHash, desiredWorker(flowHash), item);
    }

    /**
     * Delivers {@code item} of flow {@code flowHash}: on the flow's current worker, or on
     * {@code desiredWorker} (-1: none) once the move cannot reorder it. A new flow with no desired
     * worker is spread by its hash. Returns false if it was dropped (released and counted).
     */
    public boolean submit(FlowTable table, int flowHash, int desiredWorker, T item) {
        int slot = SteeringHash.mix(flowHash) & table.mask;
        int current = table.worker[slot];
        int target;
        if (current < 0) {
            target = desiredWorker >= 0 ? desiredWorker : SteeringHash.pick(flowHash, table.workers);
        } else if (desiredWorker >= 0 && desiredWorker != current
                && deliver.finished(current) - table.lastTail[slot] >= 0) {
            target = desiredWorker;
        } else {
            target = current;
        }
        long position = deliver.offer(target, item);
        if (position < 0) {
            // Dropped: nothing of the flow went to target, so the entry (old worker, old tail) stays true.
            return false;
        }
        if (target != current && current >= 0) {
            table.moves++;
        }
        table.worker[slot] = target;
        table.lastTail[slot] = position + 1;
        return true;
    }

    /**
     * The current table of one producer ({@code rps_dev_flow_table}): single-writer, so plain
     * arrays. {@code lastTail[s]}: the queue position just after the slot's last packet.
     */
    public static final class FlowTable {
        private final int[] worker;
        private final long[] lastTail;
        private final int mask;
        private final int workers;
        private long moves;

        private FlowTable(int size, int workers) {
            this.worker = new int[size];
            this.lastTail = new long[size];
            this.mask = size - 1;
            this.workers = workers;
            java.util.Arrays.fill(worker, -1);
        }

        /** Flows moved to another worker so far (owner thread's view). */
        public long moves() {
            return moves;
        }
    }
}
