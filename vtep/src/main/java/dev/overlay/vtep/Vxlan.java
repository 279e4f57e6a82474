package dev.overlay.vtep;

import io.netty.buffer.ByteBuf;

/**
 * The VXLAN header (RFC 7348 section 5).
 *
 * <pre>
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |R|R|R|R|I|R|R|R|            Reserved                           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                VXLAN Network Identifier (VNI) |   Reserved    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * The I flag MUST be 1 for a valid VNI; the reserved fields MUST be sent as zero and MUST be
 * ignored on receipt, so extensions that use them (GBP, GPE) still decapsulate here.
 */
public final class Vxlan {
    public static final int HEADER_LENGTH = 8;
    public static final int DEFAULT_PORT = 4789;
    public static final int FLAG_I = 0x08;
    public static final int MAX_VNI = 0xFF_FFFF;

    private Vxlan() {}

    /** Writes the 8-byte header before the reader index and moves it back. */
    public static void prepend(ByteBuf buf, int vni) {
        Bounds.checkHeadroom(buf, HEADER_LENGTH, "vxlan");
        Bounds.checkRange(vni, 0, MAX_VNI, "vni");
        int at = buf.readerIndex() - HEADER_LENGTH;
        buf.setInt(at, FLAG_I << 24);
        buf.setInt(at + 4, vni << 8);
        buf.readerIndex(at);
    }

    /** Null when {@code length} bytes at {@code offset} start with a valid header, else why not. */
    public static VtepDrop check(ByteBuf buf, int offset, int length) {
        if (length < HEADER_LENGTH) {
            return VtepDrop.TRUNCATED;
        }
        if ((buf.getUnsignedByte(offset) & FLAG_I) == 0) {
            return VtepDrop.VXLAN_NO_I_FLAG;
        }
        return null;
    }

    public static int flags(ByteBuf buf, int offset) {
        return buf.getUnsignedByte(offset);
    }

    public static int vni(ByteBuf buf, int offset) {
        return buf.getUnsignedMedium(offset + 4);
    }
}
