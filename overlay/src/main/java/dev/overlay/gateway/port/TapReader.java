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
 * The reader of one {@link TapPort} queue, on a thread of its own: it polls the queue and the
 * port's wake eventfd, reads a virtio header and a frame (or a TSO super-frame) per read(2) into
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
     * 1. poll the queue and the wake eventfd 2. read a virtio header and a frame into the reader's
     * buffer 3. hand the frame to the sink in a pooled buffer of its own, its checksum completed,
     * or a TCP super-frame as its MSS-sized segments (software GSO).
     */
    private void readLoop(TapQueue queue, TenantPort.FrameSink sink) {
        int area = VirtioNetHeader.SIZE + SoftwareOffloads.MAX_SUPER_FRAME;
        ByteBuf in = alloc.directBuffer(area, area);
        SoftwareOffloads offloads = new SoftwareOffloads(port, alloc, counters, sink, LOG);
        try (Arena arena = Arena.ofConfined()) {
            long address = NativeMemory.address(in, 0, area);
            MemorySegment fds = arena.allocate(2L * Libc.POLLFD_SIZE, 8);
            fds.set(ValueLayout.JAVA_INT, 0, queue.fd);
            fds.set(ValueLayout.JAVA_SHORT, 4, Libc.POLLIN);
            fds.set(ValueLayout.JAVA_INT, Libc.POLLFD_SIZE, wakeFd);
            fds.set(ValueLayout.JAVA_SHORT, Libc.POLLFD_SIZE + 4, Libc.POLLIN);
            while (!closed.get()) {
                int ready = Libc.poll(fds, 2, -1);
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
                for (int n = 0; n < READ_BATCH; n++) {
                    long length = Libc.read(queue.fd, address, area);
                    if (length < 0) {
                        int errno = Libc.errno();
                        if (errno == Libc.EAGAIN || errno == Libc.EINTR) {
                            break;
                        }
                        // EBADFD: the device was deleted under us (ip link del); nothing more will come.
                        LOG.severe(name + ": read: " + Libc.strerror(errno) + "; reader stopped");
                        return;
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
            }
        } finally {
            in.release();
        }
    }
}
