package dev.overlay.steering;

/**
 * Creates the thread of worker {@code index}; the hook for CPU pinning or a thread group. The
 * thread must run {@code body} and must not be started.
 */
@FunctionalInterface
public interface WorkerThreadFactory {
    Thread newThread(String name, int index, Runnable body);

    /** Named platform threads ({@code rx-worker-0}), not daemons: close() stops them. */
    WorkerThreadFactory PLATFORM = (name, index, body) -> Thread.ofPlatform().name(name).unstarted(body);
}
