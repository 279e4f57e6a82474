package dev.overlay.gateway.port;

import io.netty.buffer.ByteBuf;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Where a ByteBuf's bytes are in native memory, so read(2) and write(2) work on the buffer itself.
 * Netty exposes the address when it may use Unsafe; otherwise a direct buffer's NIO view gives it
 * through {@link MemorySegment#ofBuffer}. Heap and composite buffers have no single address.
 */
final class NativeMemory {
    /** Frames from heap or composite buffers are copied here before write(2); grown as needed. */
    private static final ThreadLocal<MemorySegment[]> SCRATCH = ThreadLocal.withInitial(() -> new MemorySegment[1]);

    private NativeMemory() {
    }

    /** The address of byte {@code index} of {@code buf}, or 0 when its memory is not one native block. */
    static long address(ByteBuf buf, int index, int length) {
        if (buf.hasMemoryAddress()) {
            return buf.memoryAddress() + index;
        }
        if (buf.isDirect() && buf.nioBufferCount() == 1) {
            return MemorySegment.ofBuffer(buf.internalNioBuffer(index, length)).address();
        }
        return 0;
    }

    /** The readable bytes of {@code buf} in native memory: in place when possible, else copied to a per-thread block. */
    static long readable(ByteBuf buf) {
        int length = buf.readableBytes();
        long address = address(buf, buf.readerIndex(), length);
        if (address != 0) {
            return address;
        }
        MemorySegment[] holder = SCRATCH.get();
        MemorySegment scratch = holder[0];
        if (scratch == null || scratch.byteSize() < length) {
            scratch = Arena.ofAuto().allocate(Math.max(length, 16 * 1024));
            holder[0] = scratch;
        }
        buf.getBytes(buf.readerIndex(), scratch.asByteBuffer().limit(length));
        return scratch.address();
    }
}
