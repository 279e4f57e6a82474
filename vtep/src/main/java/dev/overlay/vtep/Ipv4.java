package dev.overlay.vtep;

import io.netty.buffer.ByteBuf;

/**
 * The outer IPv4 header (RFC 791), written before the reader index.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version|  IHL  |Type of Service|          Total Length         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Identification        |Flags|      Fragment Offset    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Time to Live |    Protocol   |         Header Checksum       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Source Address                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Destination Address                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
public final class Ipv4 {
    public static final int HEADER_LENGTH = 20;
    public static final int DEFAULT_TTL = 64;
    public static final int PROTOCOL_UDP = 17;
    public static final int PROTOCOL_ESP = 50;
    /** Flags and fragment offset: DF set, offset 0. */
    public static final int DONT_FRAGMENT = 0x4000;
    public static final int MORE_FRAGMENTS = 0x2000;
    public static final int OFFSET_MASK = 0x1FFF;

    private Ipv4() {}

    /**
     * Writes a 20-byte header for the readable bytes as payload and moves the reader index back.
     * The datagram is atomic in the sense of RFC 6864 section 4: DF set and identification 0,
     * since the overlay never fragments (RFC 7348 section 4.3). TOS 0, TTL 64.
     */
    public static void prepend(ByteBuf buf, byte[] src, byte[] dst, int protocol) {
        prepend(buf, src, dst, protocol, true, 0);
    }

    /**
     * As {@link #prepend(ByteBuf, byte[], byte[], int)}, with DF only when {@code dontFragment}:
     * a datagram the underlay may fragment ({@code underlay-fragmentation: allow}) is not atomic,
     * so it carries {@code id}, which must then be unique per source, destination and protocol
     * for as long as fragments may live (RFC 6864 section 4.1, RFC 791).
     */
    public static void prepend(ByteBuf buf, byte[] src, byte[] dst, int protocol, boolean dontFragment, int id) {
        Bounds.checkHeadroom(buf, HEADER_LENGTH, "ipv4");
        checkV4(src, "src");
        checkV4(dst, "dst");
        int totalLength = buf.readableBytes() + HEADER_LENGTH;
        Bounds.checkRange(totalLength, HEADER_LENGTH, 0xFFFF, "ipv4 total length");
        int at = buf.readerIndex() - HEADER_LENGTH;
        buf.setInt(at, 0x4500_0000 | totalLength);
        buf.setInt(at + 4, dontFragment ? DONT_FRAGMENT : (id & 0xFFFF) << 16);
        buf.setInt(at + 8, (DEFAULT_TTL << 24) | ((protocol & 0xFF) << 16));
        buf.setBytes(at + 12, src);
        buf.setBytes(at + 16, dst);
        buf.setShort(at + 10, InternetChecksum.checksum(buf, at, HEADER_LENGTH));
        buf.readerIndex(at);
    }

    private static void checkV4(byte[] address, String name) {
        if (Bounds.checkAddress(address, name).length != 4) {
            throw new IllegalArgumentException(name + ": 16 bytes (expected: 4 bytes for IPv4)");
        }
    }
}
