package dev.overlay.steering;

import java.util.function.BooleanSupplier;

/**
 * I/O that a worker drives on its own thread, between two rounds of its queues, and the way the
 * worker sleeps when idle. The gateway gives each worker its own underlay socket this way (a
 * Netty {@code ManualIoEventLoop}): a datagram the kernel steered to that socket is then read,
 * decrypted and delivered on one thread with no hand-off, and the worker's sends leave from the
 * same thread without a task on another loop. Without a {@code WorkerIo} a worker parks.
 *
 * <p>Threads: {@link #start}, {@link #poll}, {@link #await} and {@link #stop} run on the
 * worker's thread only; {@link #wakeup} on any thread.
 */
public interface WorkerIo {

    /**
     * First on the worker's thread. {@code idle} says whether the worker may sleep now (its
     * queues are empty and the pool is not closing): {@link #await} must re-check it after it
     * has armed its wake-up and before it blocks, so that a {@link #wakeup} racing the check is
     * never lost.
     */
    void start(Worker worker, BooleanSupplier idle);

    /** Handles what is ready without blocking; returns how many events or items it handled (0: none). */
    int poll();

    /** Blocks until I/O is ready, {@link #wakeup} is called, or {@code idle} turns false. */
    void await();

    /** Makes a blocked or about-to-block {@link #await} return. Any thread. */
    void wakeup();

    /**
     * Last on the worker's thread, once its queues are drained at close: closes what it drives
     * and runs until that is done (buffers released, sockets closed).
     */
    void stop();
}
