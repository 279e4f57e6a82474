package dev.overlay.vtep;

import io.netty.buffer.ByteBuf;

/**
 * The outer IPv6 header (RFC 8200 section 3), written before the reader index.
 *
 * <pre>
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version| Traffic Class |           Flow Label                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Payload Length        |  Next Header  |   Hop Limit   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  Source Address (128 bits)                    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |               Destination Address (128 bits)                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
public final class Ipv6 {
    public static final int HEADER_LENGTH = 40;
    public static final int DEFAULT_HOP_LIMIT = 64;
    public static final int MAX_FLOW_LABEL = 0xFFFFF;
    static final int NEXT_HOP_BY_HOP = 0;
    static final int NEXT_ROUTING = 43;
    static final int NEXT_FRAGMENT = 44;
    static final int NEXT_AUTHENTICATION = 51;
    static final int NEXT_DESTINATION_OPTIONS = 60;

    private Ipv6() {}

    /**
     * Writes a 40-byte header for the readable bytes as payload and moves the reader index back.
     * Traffic class 0, hop limit 64; the flow label carries the inner flow's hash so that
     * underlay ECMP can spread tunnels without looking past the outer header (RFC 6438).
     */
    public static void prepend(ByteBuf buf, byte[] src, byte[] dst, int nextHeader, int flowLabel) {
        Bounds.checkHeadroom(buf, HEADER_LENGTH, "ipv6");
        checkV6(src, "src");
        checkV6(dst, "dst");
        Bounds.checkRange(flowLabel, 0, MAX_FLOW_LABEL, "flow label");
        int payloadLength = buf.readableBytes();
        Bounds.checkRange(payloadLength, 0, 0xFFFF, "ipv6 payload length");
        int at = buf.readerIndex() - HEADER_LENGTH;
        buf.setInt(at, 0x6000_0000 | flowLabel);
        buf.setInt(at + 4, (payloadLength << 16) | ((nextHeader & 0xFF) << 8) | DEFAULT_HOP_LIMIT);
        buf.setBytes(at + 8, src);
        buf.setBytes(at + 24, dst);
        buf.readerIndex(at);
    }

    private static void checkV6(byte[] address, String name) {
        if (Bounds.checkAddress(address, name).length != 16) {
            throw new IllegalArgumentException(name + ": 4 bytes (expected: 16 bytes for IPv6)");
        }
    }
}
