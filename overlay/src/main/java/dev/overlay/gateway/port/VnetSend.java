package dev.overlay.gateway.port;

import dev.overlay.datapath.Buffers;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * Writing frames to a descriptor that takes a {@link VirtioNetHeader} before each (a TAP queue, a
 * pcap port's packet socket with PACKET_VNET_HDR) or none (the packet socket without it): one
 * write(2) per frame with the header in the frame's headroom, one writev(2) per coalesced train
 * ({@link VnetGro}). Counted in the port's counters; a descriptor closed meanwhile, a full device
 * or socket buffer, or any other error drops and counts, and the first unexpected error is logged
 * once per descriptor.
 */
final class VnetSend {
    private VnetSend() {
    }

    /**
     * {@code frame} with room for a virtio header before its readable bytes, in native memory:
     * itself, or a copy (never from the datapath, which leaves headroom in direct buffers), in
     * which case {@code frame} is released.
     */
    static ByteBuf writable(ByteBuf frame, ByteBufAllocator alloc) {
        if (frame.readerIndex() >= VirtioNetHeader.SIZE && NativeMemory.address(frame, 0, frame.capacity()) != 0) {
            return frame;
        }
        ByteBuf direct = alloc.directBuffer(Buffers.HEADROOM + frame.readableBytes() + Buffers.TAILROOM);
        direct.setIndex(Buffers.HEADROOM, Buffers.HEADROOM).writeBytes(frame, frame.readerIndex(), frame.readableBytes());
        frame.release();
        return direct;
    }

    /**
     * Writes {@code frame} (after a header asking for nothing when {@code header}) to {@code fd};
     * releases it.
     */
    static boolean frame(TapQueue fd, boolean header, AtomicBoolean closed, ByteBuf frame, ByteBufAllocator alloc,
                         PortCounters counters, Logger log, String name) {
        frame = writable(frame, alloc);
        try {
            int length = frame.readableBytes();
            int start = frame.readerIndex();
            if (header) {
                start -= VirtioNetHeader.SIZE;
                VirtioNetHeader.writeNone(frame, start);
            }
            int total = frame.writerIndex() - start;
            if (!fd.enter(closed)) {
                counters.txDropped.increment();
                return false;
            }
            long written;
            int errno = 0;
            try {
                written = Libc.write(fd.fd, NativeMemory.address(frame, start, total), total);
                if (written < 0) {
                    errno = Libc.errno();
                }
            } finally {
                fd.leave();
            }
            if (written == total) {
                counters.txFrames.increment();
                counters.txBytes.add(length);
                return true;
            }
            failed(fd, 1, errno, "write", counters, log, name);
            return false;
        } finally {
            frame.release();
        }
    }

    /**
     * One writev(2) of a coalesced train: {@code iov} already describes the virtio header and the
     * bytes of {@code parts}, which are released whatever happens.
     */
    static void train(TapQueue fd, AtomicBoolean closed, ByteBuf[] parts, int count, long iov, long total,
                      int segments, int headerLength, PortCounters counters, Logger log, String name) {
        try {
            if (!fd.enter(closed)) {
                counters.txDropped.add(segments);
                return;
            }
            long written;
            int errno = 0;
            try {
                written = Libc.writev(fd.fd, iov, count);
                if (written < 0) {
                    errno = Libc.errno();
                }
            } finally {
                fd.leave();
            }
            if (written == total) {
                counters.txFrames.add(segments);
                counters.txBytes.add(total - VirtioNetHeader.SIZE + (long) headerLength * (segments - 1));
                counters.txGsoFrames.increment();
                counters.txGsoSegments.add(segments);
                return;
            }
            failed(fd, segments, errno, "writev", counters, log, name);
        } finally {
            for (int i = 0; i < count; i++) {
                parts[i].release();
                parts[i] = null;
            }
        }
    }

    private static void failed(TapQueue fd, int frames, int errno, String call, PortCounters counters, Logger log, String name) {
        counters.txDropped.add(frames);
        // A full buffer is congestion, counted and no news; a link going down is said once.
        if (errno != Libc.EAGAIN && errno != Libc.ENOBUFS && errno != Libc.EINTR) {
            fd.warnOnce(log, name + ": " + call + ": " + (errno == 0 ? "short write" : Libc.strerror(errno))
                    + " (further write errors counted in txDropped only)");
        }
    }
}
