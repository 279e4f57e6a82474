package dev.overlay.steering;

/**
 * One step of the datapath run on a worker thread (VPP's node): {@code esp-decrypt},
 * {@code deliver}, ... The stage owns each item it is given: it forwards it or drops it, and
 * dropping releases it.
 *
 * @param <T> the work item, typically a Netty {@code ByteBuf}
 */
@FunctionalInterface
public interface Stage<T> {
    /**
     * Handles one item on {@code worker}'s thread. Must not throw for per-packet errors (count a
     * drop reason instead); a throw is a bug, counted as {@link SteeringDrop#STAGE_FAILED}.
     */
    void handle(T item, Worker worker);

    /**
     * Called on the worker thread after a batch of at least one item, before the worker looks
     * for more work or parks: the place to flush batched sends.
     */
    default void batchEnd(Worker worker) {}
}
