package dev.overlay.steering;

/**
 * The {@code flow} policy: the outer 4-tuple hash picks the worker, as RSS and Linux RPS do.
 *
 * <p>Kept as the baseline that shows the paper's point: ESP hides the inner ports, and
 * ESP-in-UDP from one peer is one outer 4-tuple (peer:4500 to us:4500), so every SA of that
 * peer lands on the same worker however many there are.
 */
public final class FlowDispatcher implements Dispatcher {
    private final int workers;

    public FlowDispatcher(int workers) {
        if (workers < 1) {
            throw new IllegalArgumentException("workers: " + workers + " (expected: > 0)");
        }
        this.workers = workers;
    }

    /** {@code tupleHash}: the outer 4-tuple's hash, from {@link SteeringHash#ipv4} or {@link SteeringHash#ipv6}. */
    @Override
    public int workerFor(int tupleHash) {
        return SteeringHash.pick(tupleHash, workers);
    }

    @Override
    public int workers() {
        return workers;
    }
}
