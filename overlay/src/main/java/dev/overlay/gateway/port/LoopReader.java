package dev.overlay.gateway.port;

import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * The worker half of a tenant port's reader (a {@link TapPort} queue's, a {@link PcapPort}'s
 * packet socket's): while the port's frames nearly all go to one worker (the owner of the SA
 * their flow is sealed with), that worker's own event loop reads the descriptor
 * ({@link TenantPort.FrameSink#readLoop}): epoll reports it readable, the worker reads a batch
 * (the port's {@link BatchRead}: {@link TapReader#readBatch}, {@link PacketReader}'s), seals and
 * sends on the spot, and ends the batch ({@link TenantPort.FrameSink#readBatchEnd}). Run to
 * completion: no reader thread to wake and no hand-off per super-frame.
 *
 * <p>Who reads is decided per {@link #WINDOW} segments by where they went ({@link Window}): the
 * port's reader thread hands the descriptor to worker w's loop when seven eighths or more went
 * to w (one flow, or one SA, carries nearly all); the loop keeps it while its worker takes three
 * quarters, and otherwise moves it to another worker's loop on the same rule or gives it back to
 * the thread (flows spread over several SAs: one worker reading and cutting for all of them while
 * sealing only its share would be the bottleneck, a thread of its own is not). Only one of them
 * reads at a time: the thread stops polling the descriptor before it hands over, the loop
 * cancels its registration before it hands back; the thread and the loop share the read buffer,
 * each touching it only while it is the reader (the {@code worker} field, volatile, and the
 * eventfd signal order the two).
 *
 * <p>Level-triggered: a descriptor with frames left after a batch is reported again on the
 * loop's next round, after the worker's other work. The descriptor stays the port's: this handle
 * never closes it, and {@link #stop} returns only once no read can still be running on it.
 */
final class LoopReader implements EpollIoHandle {
    /** Segments between two looks at where they went. */
    static final int WINDOW = 1024;
    private static final Logger LOG = Logger.getLogger(LoopReader.class.getName());

    /** One batch of reads on the descriptor (non-blocking), each frame to the sink. */
    @FunctionalInterface
    interface BatchRead {
        /** False when the descriptor failed for good (logged by the reader): nobody reads it again. */
        boolean readBatch();
    }

    /** Where a window's segments went: [w] segments to worker w. */
    static final class Window {
        /** Not a full window yet. */
        static final int UNDECIDED = -2;
        /** Spread: no worker took enough. */
        static final int SPREAD = -1;
        final int[] handed;

        Window(int workers) {
            handed = new int[workers];
        }

        /**
         * After a window: the worker to read on, or {@link #SPREAD} for the thread; before,
         * {@link #UNDECIDED}. The current worker ({@code current}, -1 for the thread) keeps the
         * descriptor while it took three quarters; otherwise a worker that took seven eighths gets it,
         * and else the thread. Clears the window when it decides.
         */
        int decide(int current) {
            int total = 0;
            int top = 0;
            for (int w = 0; w < handed.length; w++) {
                total += handed[w];
                if (handed[w] > handed[top]) {
                    top = w;
                }
            }
            if (total < WINDOW) {
                return UNDECIDED;
            }
            int decision;
            if (current >= 0 && handed[current] * 4L >= total * 3L) {
                decision = current;
            } else if (handed[top] * 8L >= total * 7L) {
                decision = top;
            } else {
                decision = SPREAD;
            }
            java.util.Arrays.fill(handed, 0);
            return decision;
        }
    }

    private final String portName;
    private final AtomicBoolean closed;
    private final TenantPort.FrameSink sink;
    private final FileDescriptor fd;
    private final BatchRead read;
    private final Window window;
    /** The port's thread polls it; a worker signals it when it gives the descriptor back. */
    private final int resumeFd;
    /** The worker whose loop reads the descriptor now, or -1 when the thread does. */
    private volatile int worker = -1;
    private volatile IoEventLoop loop;
    private volatile IoRegistration registration;
    /** The resume eventfd's 8-byte counter, read by the port's thread ({@link #afterPoll}). */
    private final MemorySegment signal = Arena.ofAuto().allocate(ValueLayout.JAVA_LONG);
    /** Written by the reader of the moment, read by stats. */
    private final AtomicLong moves = new AtomicLong();

    private LoopReader(String portName, int fd, AtomicBoolean closed, TenantPort.FrameSink sink, BatchRead read,
                       int loops, int resumeFd) {
        this.portName = portName;
        this.closed = closed;
        this.sink = sink;
        this.fd = new FileDescriptor(fd);
        this.read = read;
        this.window = new Window(loops);
        this.resumeFd = resumeFd;
    }

    /**
     * The worker half of the reader of {@code fd} (a TAP queue, a pcap port's socket), with the
     * resume eventfd its thread polls; null when the thread reads alone: {@code enabled} false
     * (the port kind's opt-out), no worker loops (a shared socket), or no eventfd (one warning
     * naming the {@code descriptor}). {@link #stop} closes the eventfd.
     */
    static LoopReader create(String portName, int fd, AtomicBoolean closed, TenantPort.FrameSink sink,
                             BatchRead read, boolean enabled, String descriptor) {
        int loops = enabled ? sink.readLoops() : 0;
        if (loops <= 0) {
            return null;
        }
        int resumeFd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (resumeFd < 0) {
            LOG.warning(portName + ": eventfd: " + Libc.strerror(Libc.errno()) + "; the " + descriptor
                    + " is read on this thread only");
            return null;
        }
        return new LoopReader(portName, fd, closed, sink, read, loops, resumeFd);
    }

    /** Gives the descriptor back to the port's thread. */
    private void backToThread() {
        Libc.eventfdSignal(resumeFd);
    }

    /** The port's reader thread, after its last read: worker {@code w}'s loop reads from now on. */
    void takeOver(int w) {
        moves.incrementAndGet();
        worker = w;
        IoEventLoop next = sink.readLoop(w);
        loop = next;
        next.register(this).addListener(f -> {
            if (!f.isSuccess()) {
                LOG.warning(portName + ": cannot read on worker " + w + "'s loop (" + f.cause()
                        + "); its thread reads on");
                worker = -1;
                backToThread();
                return;
            }
            IoRegistration r = (IoRegistration) f.getNow();
            registration = r;
            if (closed.get()) {
                r.cancel();
            } else {
                r.submit(EpollIoOps.EPOLLIN);
            }
        });
    }

    @Override
    public FileDescriptor fd() {
        return fd;
    }

    @Override
    public void handle(IoRegistration r, IoEvent event) {
        if (closed.get()) {
            return;
        }
        boolean ok = read.readBatch();
        sink.readBatchEnd(window.handed);
        if (!ok) {
            r.cancel();
            return;
        }
        int decision = window.decide(worker);
        if (decision == Window.UNDECIDED || decision == worker) {
            return;
        }
        // Unregistered here before anyone else reads: the kernel keeps the frames meanwhile.
        registration = null;
        r.cancel();
        if (decision == Window.SPREAD) {
            worker = -1;
            backToThread();
        } else {
            takeOver(decision);
        }
    }

    /**
     * The port's thread's poll set: the descriptor (entry 0, taken out while a worker reads it),
     * the port's wake eventfd (close) and the resume eventfd of {@code onLoop} (-1 without one:
     * poll(2) skips a negative fd), each for POLLIN.
     */
    static MemorySegment pollSet(Arena arena, int fd, int wakeFd, LoopReader onLoop) {
        MemorySegment fds = arena.allocate(3L * Libc.POLLFD_SIZE, 8);
        int[] each = {fd, wakeFd, onLoop == null ? -1 : onLoop.resumeFd};
        for (int i = 0; i < each.length; i++) {
            fds.set(ValueLayout.JAVA_INT, (long) i * Libc.POLLFD_SIZE, each[i]);
            fds.set(ValueLayout.JAVA_SHORT, (long) i * Libc.POLLFD_SIZE + 4, Libc.POLLIN);
        }
        return fds;
    }

    /**
     * The port's thread, after a batch it read: ends the batch and, when the window says so, hands
     * the descriptor to a worker's loop and takes it out of the thread's poll set ({@code fds},
     * the descriptor's entry first). True when handed over.
     */
    boolean threadBatchEnd(MemorySegment fds) {
        sink.readBatchEnd(window.handed);
        int w = window.decide(-1);
        if (w < 0) {
            return false;
        }
        fds.set(ValueLayout.JAVA_INT, 0, -1); // not polled while a worker reads it (poll skips -1)
        takeOver(w);
        return true;
    }

    /**
     * The port's thread, after each poll of its {@link #pollSet}: when the resume eventfd fired (a
     * worker gave the descriptor back, or passed it to another worker), reads the signal and
     * returns whether a worker's loop still holds the descriptor, putting it back in the poll set
     * if not; otherwise returns {@code handedOver} as it was. The worker field, volatile, is
     * written before the signal: what the worker last did to the read buffer, the window and the
     * reader's flags is seen by the thread from here on.
     */
    boolean afterPoll(MemorySegment fds, boolean handedOver) {
        if (fds.get(ValueLayout.JAVA_SHORT, 2L * Libc.POLLFD_SIZE + 6) == 0) {
            return handedOver;
        }
        Libc.read(resumeFd, signal.address(), 8);
        if (worker >= 0) {
            return true;
        }
        fds.set(ValueLayout.JAVA_INT, 0, fd.intValue());
        return false;
    }

    /** Times a loop took the descriptor over. */
    long moves() {
        return moves.get();
    }

    /** The worker whose loop reads the descriptor, or -1 when its thread does. */
    int worker() {
        return worker;
    }

    /**
     * Stops reading, from any thread: once this returns no read of this handle runs or will run,
     * so the port may close the descriptor; then closes the resume eventfd. {@code closed} is
     * already set.
     */
    void stop() {
        try {
            stopReads();
        } finally {
            Libc.close(resumeFd);
        }
    }

    private void stopReads() {
        // A move started before closed was set may have changed the loop: wait on each in turn
        // until the one waited on is still the reader's (handle() reads nothing once closed).
        IoEventLoop on;
        do {
            on = loop;
            if (on == null) {
                return;
            }
            if (on.inEventLoop()) {
                cancel();
                continue;
            }
            CountDownLatch done = new CountDownLatch(1);
            try {
                on.execute(() -> {
                    cancel();
                    done.countDown();
                });
            } catch (RejectedExecutionException e) {
                continue; // the loop has stopped: it runs no handle any more
            }
            try {
                // A loop that stops before running the task runs no handle either.
                while (!done.await(10, TimeUnit.MILLISECONDS) && !on.isTerminated()) {
                    // waiting for the loop's thread
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        } while (on != loop);
    }

    private void cancel() {
        IoRegistration r = registration;
        if (r != null) {
            r.cancel();
        }
    }

    /** Called by a loop that shuts down with this handle registered; the descriptor stays open. */
    @Override
    public void close() {
        cancel();
    }
}
