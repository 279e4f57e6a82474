package dev.overlay.gateway;

import dev.overlay.config.GatewayConfig;
import dev.overlay.steering.Worker;
import dev.overlay.steering.WorkerIo;
import io.netty.channel.IoEventLoop;
import io.netty.channel.ManualIoEventLoop;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * One Netty event loop per worker, driven by the worker's own thread ({@link ManualIoEventLoop}
 * through {@link WorkerIo}): the underlay registers each worker's ESP socket on its loop, so the
 * datagrams the kernel steers to that socket ({@link ReuseportSteering}) are read on the worker
 * that owns their SA and decrypted there, and the worker's sends are written and flushed on its
 * own thread rather than queued as tasks for another loop.
 *
 * <p>Only with epoll and ESP in UDP; {@code -Doverlay.underlay.worker-sockets=false} turns it
 * off (one shared socket read by the I/O thread, every packet handed to its owner), for
 * comparison.
 */
final class WorkerLoops {
    private final Loop[] loops;

    private WorkerLoops(int workers) {
        loops = new Loop[workers];
        for (int i = 0; i < workers; i++) {
            loops[i] = new Loop();
        }
    }

    /** Loops for the gateway's workers, or null when the gateway reads one shared socket. */
    static WorkerLoops of(GatewayConfig gateway) {
        boolean on = Epoll.isAvailable() && gateway.espTransport() == GatewayConfig.EspTransport.UDP
                && !"false".equals(System.getProperty("overlay.underlay.worker-sockets"));
        return on ? new WorkerLoops(gateway.workers()) : null;
    }

    /** Loops for {@code workers} workers, whatever the config (tests). */
    static WorkerLoops of(int workers) {
        return new WorkerLoops(workers);
    }

    int workers() {
        return loops.length;
    }

    /** Worker {@code index}'s event loop, to register its channels on. */
    IoEventLoop loop(int index) {
        return loops[index].loop;
    }

    /** Worker {@code index}'s I/O, for {@code WorkerPool.Builder.io}. */
    WorkerIo io(int index) {
        return loops[index];
    }

    /** True when the calling thread is worker {@code index} driving its loop. */
    boolean onLoop(int index) {
        return index >= 0 && index < loops.length && loops[index].loop.inEventLoop();
    }

    /** A worker's loop and its {@link WorkerIo}: the loop may block only while its worker is idle (queues empty, pool open). */
    private static final class Loop implements WorkerIo {
        final Driven loop = new Driven();

        @Override
        public void start(Worker worker, BooleanSupplier idle) {
            loop.idle = idle;
            loop.setOwningThread(Thread.currentThread());
        }

        @Override
        public int poll() {
            return loop.runNow();
        }

        @Override
        public void await() {
            loop.run(0);
        }

        @Override
        public void wakeup() {
            loop.wakeup();
        }

        /** Closes the worker's channels (the loop's shutdown closes what is registered) and runs until done. */
        @Override
        public void stop() {
            loop.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (!loop.isTerminated() && System.nanoTime() < deadline) {
                loop.run(TimeUnit.MILLISECONDS.toNanos(10));
            }
        }
    }

    private static final class Driven extends ManualIoEventLoop {
        volatile BooleanSupplier idle = () -> false;

        Driven() {
            super(null, null, EpollIoHandler.newFactory());
        }

        @Override
        protected boolean canBlock() {
            // Checked by epoll after it armed its wake-up and before epoll_wait: an item a
            // producer queued in between is seen here, or its wakeup() writes the eventfd.
            return idle.getAsBoolean();
        }
    }
}
