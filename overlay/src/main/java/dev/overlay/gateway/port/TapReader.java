package dev.overlay.gateway.port;

import dev.overlay.datapath.Buffers;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * The reader of one {@link TapPort} queue, on a thread of its own (which, with worker loops,
 * hands the queue to a worker while its frames all go there: {@link LoopReader}): it polls the
 * queue and the port's wake eventfd, reads a virtio header and a frame (or a TSO super-frame) per read(2) into
 * its own 65 KB buffer, and hands the sink each frame in a pooled direct buffer after
 * {@link Buffers#HEADROOM}, or a TCP super-frame as its MSS-sized segments (software GSO:
 * {@link SoftwareOffloads}, which the pcap port's reader shares). It returns once the port is
 * closed (the eventfd is signalled), or on an error that no later read can undo (the device
 * deleted under it), which it logs.
 */
final class TapReader implements Runnable {
    /** TapPort's logger: what a reader says is about its port. */
    private static final Logger LOG = Logger.getLogger(TapPort.class.getName());
    /** Frames read without returning to poll, so a closing port is noticed under load. */
    private static final int READ_BATCH = 64;
    /**
     * A queue whose frames nearly all go to one worker is read by that worker's event loop
     * ({@link LoopReader}); {@code -Doverlay.tap.read-on-worker=false} keeps this thread reading
     * always (A/B, and a way out).
     */
    static final boolean READ_ON_WORKER = !"false".equals(System.getProperty("overlay.tap.read-on-worker"));

    private final TapPort port;
    private final String name;
    private final TapQueue queue;
    private final int wakeFd;
    private final AtomicBoolean closed;
    private final ByteBufAllocator alloc;
    private final PortCounters counters;
    private final TenantPort.FrameSink sink;

    TapReader(TapPort port, TapQueue queue, int wakeFd, AtomicBoolean closed, ByteBufAllocator alloc,
            PortCounters counters, TenantPort.FrameSink sink) {
        this.port = port;
        this.name = port.name();
        this.queue = queue;
        this.wakeFd = wakeFd;
        this.closed = closed;
        this.alloc = alloc;
        this.counters = counters;
        this.sink = sink;
    }

    @Override
    public void run() {
        readLoop(queue, sink);
    }

    /**
     * 1. poll the queue, the wake eventfd and (with worker loops) the resume eventfd 2. read a
     * virtio header and a frame into the reader's buffer 3. hand the frame to the sink in a pooled
     * buffer of its own, its checksum completed, or a TCP super-frame as its MSS-sized segments
     * (software GSO) 4. with worker loops, after each window, hand the queue to the worker its
     * frames went to ({@link LoopReader}) and stop polling it until that worker gives it back.
     */
    private void readLoop(TapQueue queue, TenantPort.FrameSink sink) {
        int area = VirtioNetHeader.SIZE + SoftwareOffloads.MAX_SUPER_FRAME;
        ByteBuf in = alloc.directBuffer(area, area);
        SoftwareOffloads offloads = new SoftwareOffloads(port, alloc, counters, sink, LOG);
        long address = NativeMemory.address(in, 0, area);
        LoopReader onLoop = LoopReader.create(name, queue.fd, closed, sink,
                () -> readBatch(port, queue, address, area, in, offloads, counters), READ_ON_WORKER, "queue");
        if (onLoop != null) {
            port.adopt(onLoop);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = LoopReader.pollSet(arena, queue.fd, wakeFd, onLoop);
            boolean handedOver = false;
            while (!closed.get()) {
                int ready = Libc.poll(fds, 3, -1);
                if (ready < 0) {
                    int errno = Libc.errno();
                    if (errno == Libc.EINTR) {
                        continue;
                    }
                    LOG.severe(name + ": poll: " + Libc.strerror(errno) + "; reader stopped");
                    return;
                }
                if (fds.get(ValueLayout.JAVA_SHORT, Libc.POLLFD_SIZE + 6) != 0) {
                    return; // close() signalled the eventfd
                }
                if (onLoop != null) {
                    handedOver = onLoop.afterPoll(fds, handedOver); // a worker gave the queue back?
                }
                if (handedOver) {
                    continue;
                }
                if (!readBatch(port, queue, address, area, in, offloads, counters)) {
                    return;
                }
                if (onLoop != null) {
                    handedOver = onLoop.threadBatchEnd(fds);
                }
            }
        } finally {
            if (onLoop != null) {
                onLoop.stop(); // no read of the worker half runs any more: the buffer is free
            }
            in.release();
        }
    }

    /**
     * Reads up to {@link #READ_BATCH} frames from {@code queue} (non-blocking) into {@code in}, the
     * area of {@code area} bytes at {@code address}, and hands each to {@code offloads}; stops early
     * when the queue is empty. False when the queue failed for good (the device deleted), which
     * is logged: the caller reads no more.
     */
    static boolean readBatch(TapPort port, TapQueue queue, long address, int area, ByteBuf in,
                             SoftwareOffloads offloads, PortCounters counters) {
        for (int n = 0; n < READ_BATCH; n++) {
            long length = Libc.read(queue.fd, address, area);
            if (length < 0) {
                int errno = Libc.errno();
                if (errno == Libc.EAGAIN || errno == Libc.EINTR) {
                    return true;
                }
                // EBADFD: the device was deleted under us (ip link del); nothing more will come.
                LOG.severe(port.name() + ": read: " + Libc.strerror(errno) + "; reader stopped");
                return false;
            }
            // A read that fills the area may have been cut by the kernel: never delivered.
            if (length < VirtioNetHeader.SIZE + 14 || length >= area) {
                counters.rxErrors.increment();
                continue;
            }
            in.setIndex(VirtioNetHeader.SIZE, (int) length);
            if (!offloads.withHeader(in, VirtioNetHeader.flags(in, 0), VirtioNetHeader.gsoType(in, 0),
                    VirtioNetHeader.gsoSize(in, 0), VirtioNetHeader.csumStart(in, 0), VirtioNetHeader.csumOffset(in, 0))) {
                counters.rxErrors.increment();
            }
        }
        return true;
    }
}
