package dev.overlay.steering;

/**
 * Maps a key the caller extracted cheaply from a received packet to the worker that handles
 * it: the SPI for {@link SteeringPolicy#SPI} and {@link SteeringPolicy#RFS}, the outer 4-tuple hash
 * ({@link SteeringHash#ipv4}) for {@link SteeringPolicy#FLOW}. Safe from any thread, no allocation.
 */
public sealed interface Dispatcher permits SpiDispatcher, FlowDispatcher {
    /** The worker, 0 to {@code workers() - 1}, for {@code key}. */
    int workerFor(int key);

    int workers();

    /** The receive-side dispatcher of {@code policy} (RFS decrypts on the SA owner, as SPI does). */
    static Dispatcher of(SteeringPolicy policy, int workers) {
        return switch (policy) {
            case SPI, RFS -> new SpiDispatcher(workers);
            case FLOW -> new FlowDispatcher(workers);
        };
    }
}
