package dev.overlay.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;

/**
 * One worker's run of consecutive datagrams to one destination on one socket, all of one size
 * but the last, which may be shorter: the shape UDP GSO ({@code UDP_SEGMENT}, Linux 4.18) sends
 * as one datagram the kernel cuts back into the same datagrams on the wire. The ESP packets
 * sealed from one tenant TCP segment's MSS-sized frames have exactly this shape.
 *
 * <p>Only consecutive packets join, so the train never reorders anything. Not thread-safe: one
 * per worker, used by that worker only.
 */
final class UdpTrain {
    /** UDP_MAX_SEGMENTS of Linux before 6.x (64); newer kernels allow more, this never asks for it. */
    static final int MAX_SEGMENTS = 64;

    private final int maxSegment;
    private final int maxBytes;
    private final ByteBuf[] parts = new ByteBuf[MAX_SEGMENTS];
    private int count;
    private int segmentSize;
    private int bytes;
    private boolean tail;
    private Channel channel;
    private InetSocketAddress to;

    /**
     * @param maxSegment the largest datagram that may join: no bigger than the underlay MTU less the
     *     IP and UDP headers, since the kernel refuses a segment size above the path MTU (EINVAL)
     * @param maxBytes the most a train may carry: the largest UDP payload of the address family
     */
    UdpTrain(int maxSegment, int maxBytes) {
        if (maxSegment < 1 || maxBytes < maxSegment) {
            throw new IllegalArgumentException("maxSegment " + maxSegment + ", maxBytes " + maxBytes);
        }
        this.maxSegment = maxSegment;
        this.maxBytes = maxBytes;
    }

    int count() {
        return count;
    }

    int segmentSize() {
        return segmentSize;
    }

    Channel channel() {
        return channel;
    }

    InetSocketAddress to() {
        return to;
    }

    ByteBuf part(int i) {
        return parts[i];
    }

    /** Whether a datagram of {@code length} bytes may ever ride in a train. */
    boolean fits(int length) {
        return length > 0 && length <= maxSegment;
    }

    /** Whether {@code length} bytes to {@code to} on {@code ch} continue this train (an empty one takes anything that fits). */
    boolean continues(Channel ch, InetSocketAddress to, int length) {
        if (count == 0) {
            return true;
        }
        return !tail && count < MAX_SEGMENTS && ch == channel && length <= segmentSize && bytes + length <= maxBytes
                && (to == this.to || to.equals(this.to));
    }

    /** Appends (the caller checked {@link #continues} and {@link #fits}); takes ownership. */
    void add(Channel ch, ByteBuf datagram, InetSocketAddress to) {
        int length = datagram.readableBytes();
        if (count == 0) {
            channel = ch;
            this.to = to;
            segmentSize = length;
        } else if (length < segmentSize) {
            tail = true; // a shorter one ends the train: only the last segment may be short
        }
        parts[count++] = datagram;
        bytes += length;
    }

    /** Full: the next datagram cannot join whatever it is. */
    boolean full() {
        return tail || count == MAX_SEGMENTS || bytes + segmentSize > maxBytes;
    }

    /**
     * The train's datagrams back to back in one buffer, without copying (a composite of the
     * parts, which it now owns); the train is empty after.
     */
    ByteBuf drainComposite(ByteBufAllocator alloc) {
        CompositeByteBuf all = alloc.compositeDirectBuffer(count);
        for (int i = 0; i < count; i++) {
            all.addComponent(true, parts[i]);
            parts[i] = null;
        }
        reset();
        return all;
    }

    /** Hands datagram {@code i} to the caller, who sends it alone; {@link #clear()} after taking all. */
    ByteBuf take(int i) {
        ByteBuf one = parts[i];
        parts[i] = null;
        return one;
    }

    /** Empties the train after every datagram was taken. */
    void clear() {
        reset();
    }

    /** Releases what the train holds (a send path that is closing). */
    void release() {
        for (int i = 0; i < count; i++) {
            parts[i].release();
            parts[i] = null;
        }
        reset();
    }

    private void reset() {
        count = 0;
        bytes = 0;
        segmentSize = 0;
        tail = false;
        channel = null;
        to = null;
    }
}
