package dev.overlay.esp.transform;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;

/**
 * Two NIO views of one {@link ByteBuf} region, for JCA calls that encrypt in place: the JCA
 * needs distinct input and output objects (each advances its own position), and
 * {@code internalNioBuffer} hands out one shared object. The second view is a duplicate kept
 * until the buffer's view changes, so a worker reusing buffers allocates nothing here; a new
 * buffer costs one small duplicate (Netty's own first {@code internalNioBuffer} call costs the same).
 */
final class NioViews {
    private ByteBuffer lastInternal;
    private ByteBuffer duplicate;

    /** The input view of {@code [index, index + length)}. */
    ByteBuffer in(ByteBuf buf, int index, int length) {
        if (buf.nioBufferCount() != 1) {
            throw new IllegalArgumentException("buf: " + buf.nioBufferCount() + " NIO buffers (expected: 1, not composite)");
        }
        return buf.internalNioBuffer(index, length);
    }

    /** An output view of the same memory, starting where {@code in} starts, {@code length} bytes. */
    ByteBuffer out(ByteBuffer in, int length) {
        if (in != lastInternal) {
            lastInternal = in;
            duplicate = in.duplicate();
        }
        duplicate.limit(duplicate.capacity()).position(in.position()).limit(in.position() + length);
        return duplicate;
    }

    /** Drops the references so a released buffer's memory is not kept reachable. */
    void clear() {
        lastInternal = null;
        duplicate = null;
    }
}
