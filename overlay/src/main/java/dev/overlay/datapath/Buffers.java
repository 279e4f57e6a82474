package dev.overlay.datapath;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Buffer geometry of the datapath: room before a frame for every header the tx path prepends, and
 * after it for the ESP trailer, so that no stage copies the packet.
 */
public final class Buffers {

    /**
     * Outer Ethernet 14 + 802.1Q 4 + IPv6 40 + UDP 8 (ESP in UDP) + ESP 8 + IV 16 (CBC)
     * + inner IPv6 40 (tunnel mode) + UDP 8 + Geneve 8 + options 252 = 398, rounded up.
     */
    public static final int HEADROOM = 448;

    /** ESP trailer: padding up to 15 (CBC) + pad length + next header + ICV up to 32 (HMAC-SHA-512-256). */
    public static final int TAILROOM = 64;

    private Buffers() {
    }

    /** A buffer holding {@code length} bytes of {@code frame} with the datapath's head- and tailroom. */
    public static ByteBuf frame(ByteBufAllocator alloc, byte[] frame, int offset, int length) {
        ByteBuf buf = alloc.buffer(HEADROOM + length + TAILROOM);
        buf.writerIndex(HEADROOM).readerIndex(HEADROOM);
        buf.writeBytes(frame, offset, length);
        return buf;
    }

    /** A copy of the readable bytes of {@code frame} with fresh head- and tailroom. */
    public static ByteBuf copy(ByteBufAllocator alloc, ByteBuf frame) {
        ByteBuf buf = alloc.buffer(HEADROOM + frame.readableBytes() + TAILROOM);
        buf.writerIndex(HEADROOM).readerIndex(HEADROOM);
        buf.writeBytes(frame, frame.readerIndex(), frame.readableBytes());
        return buf;
    }
}
