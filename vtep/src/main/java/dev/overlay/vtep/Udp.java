package dev.overlay.vtep;

import io.netty.buffer.ByteBuf;

/**
 * The UDP header (RFC 768), written before the reader index, and its checksum over the
 * pseudo-header of RFC 768 (IPv4) or RFC 8200 section 8.1 (IPv6).
 *
 * <pre>
 * +--------+--------+--------+--------+
 * |   Source Port   | Destination Port|
 * +--------+--------+--------+--------+
 * |     Length      |    Checksum     |
 * +--------+--------+--------+--------+
 * </pre>
 */
public final class Udp {
    public static final int HEADER_LENGTH = 8;
    public static final int PROTOCOL = 17;

    private Udp() {}

    /**
     * Writes the UDP header for the readable bytes as payload and moves the reader index back.
     * Over IPv6 the checksum is always computed: RFC 8200 section 8.1 does not allow zero (RFC 6935
     * relaxes that only for tunnels that opt in, which we do not rely on). Over IPv4 a zero checksum
     * is sent when {@code computeChecksum} is false, as RFC 7348 section 5 recommends for VXLAN
     * and RFC 3948 allows for ESP-in-UDP. A computed 0 is sent as 0xFFFF (RFC 768).
     */
    public static void prepend(ByteBuf buf, int srcPort, int dstPort, byte[] srcIp, byte[] dstIp,
            boolean computeChecksum) {
        Bounds.checkHeadroom(buf, HEADER_LENGTH, "udp");
        Bounds.checkRange(srcPort, 0, 0xFFFF, "src port");
        Bounds.checkRange(dstPort, 0, 0xFFFF, "dst port");
        Bounds.checkAddress(srcIp, "src");
        Bounds.checkAddress(dstIp, "dst");
        if (srcIp.length != dstIp.length) {
            throw new IllegalArgumentException(
                    "dst: " + dstIp.length + " bytes (expected: " + srcIp.length + " bytes, like src)");
        }
        int length = buf.readableBytes() + HEADER_LENGTH;
        Bounds.checkRange(length, HEADER_LENGTH, 0xFFFF, "udp length");
        int at = buf.readerIndex() - HEADER_LENGTH;
        buf.setInt(at, (srcPort << 16) | dstPort);
        buf.setInt(at + 4, length << 16);
        if (computeChecksum || srcIp.length == 16) {
            buf.setShort(at + 6, checksum(buf, at, length, srcIp, dstIp));
        }
        buf.readerIndex(at);
    }

    /**
     * The checksum field value for a datagram at {@code index} whose checksum field is zero;
     * never 0 (a computed 0 is transmitted as all ones, RFC 768).
     */
    public static int checksum(ByteBuf buf, int index, int length, byte[] srcIp, byte[] dstIp) {
        long sum = pseudoHeader(srcIp, dstIp, length) + InternetChecksum.partial(buf, index, length);
        int c = ~InternetChecksum.fold(sum) & 0xFFFF;
        return c == 0 ? 0xFFFF : c;
    }

    /**
     * The pseudo-header sum: addresses, protocol 17 and the UDP length. The IPv6 form has a 32-bit
     * length and the next header in the last byte of a zero-padded word; for lengths below 2^16
     * its 16-bit word sum equals the IPv4 form's.
     */
    static long pseudoHeader(byte[] srcIp, byte[] dstIp, int length) {
        return InternetChecksum.partial(srcIp) + InternetChecksum.partial(dstIp) + PROTOCOL + length;
    }

    /** Same as {@link #pseudoHeader(byte[], byte[], int)} with the addresses read from a buffer. */
    static long pseudoHeader(ByteBuf buf, int srcIndex, int dstIndex, int addressLength, int length) {
        return InternetChecksum.partial(buf, srcIndex, addressLength)
                + InternetChecksum.partial(buf, dstIndex, addressLength) + PROTOCOL + length;
    }
}
