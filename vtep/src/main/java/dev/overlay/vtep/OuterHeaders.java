package dev.overlay.vtep;

import io.netty.buffer.ByteBuf;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * The outer headers of one received packet, as offsets into its buffer: filled by
 * {@link #parse}, reused for every packet by one thread, so the receive path allocates nothing.
 * Every offset is an absolute buffer index; parsing never moves the buffer's indices, the
 * caller does (decapsulation is {@code setIndex(payloadOffset + n, payloadEnd())}).
 * Fields are valid only after a parse that returned null.
 */
public final class OuterHeaders {
    /** 4 or 6. */
    public int ipVersion;
    /** Where the Ethernet header starts (the reader index at parse time). */
    public int l2Offset;
    /** The VID of the outermost 802.1Q/802.1ad tag, or -1 if the frame was untagged. */
    public int outerVlan;
    public int l3Offset;
    public int srcAddressOffset;
    public int dstAddressOffset;
    /** TTL (IPv4) or hop limit (IPv6). */
    public int hopLimit;
    /** The upper-layer protocol after IPv6 extension headers: 17 UDP, 50 ESP, or another. */
    public int protocol;
    /** Where the UDP header, the ESP header or the other upper-layer header starts. */
    public int l4Offset;
    /** UDP ports; 0 when the protocol is not UDP. */
    public int srcPort;
    public int dstPort;
    /** After the UDP header, or after the IP headers for ESP and other protocols. */
    public int payloadOffset;
    /** Trimmed to the UDP or IP length, so Ethernet padding is never part of it. */
    public int payloadLength;

    /**
     * Parses the Ethernet frame at the reader index into {@code out}: null on success, else why
     * the packet is dropped. A protocol other than UDP and ESP is a success with {@link #protocol}
     * set; the caller decides (it is not overlay traffic). UDP checksums are verified when asked:
     * over IPv4 a zero checksum means none and is accepted (RFC 768); over IPv6 zero is dropped
     * (RFC 6936 section 5) unless verification is off.
     */
    public static VtepDrop parse(ByteBuf pkt, OuterHeaders out, boolean verifyUdpChecksum) {
        return OuterHeaderParser.parse(pkt, out, verifyUdpChecksum);
    }

    public int addressLength() {
        return ipVersion == 6 ? 16 : 4;
    }

    public int payloadEnd() {
        return payloadOffset + payloadLength;
    }

    public boolean isUdp() {
        return protocol == Udp.PROTOCOL;
    }

    public boolean isEsp() {
        return protocol == Ipv4.PROTOCOL_ESP;
    }

    /** Copies the source address into {@code dst} (4 or 16 bytes, matching the IP version). */
    public byte[] copySrcAddress(ByteBuf pkt, byte[] dst) {
        return copy(pkt, srcAddressOffset, dst);
    }

    public byte[] copyDstAddress(ByteBuf pkt, byte[] dst) {
        return copy(pkt, dstAddressOffset, dst);
    }

    private byte[] copy(ByteBuf pkt, int offset, byte[] dst) {
        if (dst.length != addressLength()) {
            throw new IllegalArgumentException(
                    "address array: " + dst.length + " bytes (expected: " + addressLength() + ")");
        }
        pkt.getBytes(offset, dst);
        return dst;
    }

    /** True when the source address equals {@code address}, compared in place. */
    public boolean srcAddressEquals(ByteBuf pkt, byte[] address) {
        return equalsAt(pkt, srcAddressOffset, address);
    }

    public boolean dstAddressEquals(ByteBuf pkt, byte[] address) {
        return equalsAt(pkt, dstAddressOffset, address);
    }

    private boolean equalsAt(ByteBuf pkt, int offset, byte[] address) {
        if (address.length != addressLength()) {
            return false;
        }
        for (int i = 0; i < address.length; i++) {
            if (pkt.getByte(offset + i) != address[i]) {
                return false;
            }
        }
        return true;
    }

    /** The source address as text (allocates: for tools and logs). */
    public String formatSrcAddress(ByteBuf pkt) {
        return format(pkt, srcAddressOffset);
    }

    public String formatDstAddress(ByteBuf pkt) {
        return format(pkt, dstAddressOffset);
    }

    private String format(ByteBuf pkt, int offset) {
        byte[] a = copy(pkt, offset, new byte[addressLength()]);
        try {
            return InetAddress.getByAddress(a).getHostAddress();
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // unreachable: the length is 4 or 16
        }
    }

    void clear() {
        ipVersion = 0;
        outerVlan = -1;
        l2Offset = l3Offset = srcAddressOffset = dstAddressOffset = 0;
        hopLimit = protocol = l4Offset = srcPort = dstPort = payloadOffset = payloadLength = 0;
    }

    @Override
    public String toString() {
        return "OuterHeaders{ipVersion=" + ipVersion + ", outerVlan=" + outerVlan + ", l3=" + l3Offset
                + ", protocol=" + protocol + ", l4=" + l4Offset + ", ports=" + srcPort + ">" + dstPort
                + ", payload=" + payloadOffset + "+" + payloadLength + ", hopLimit=" + hopLimit + "}";
    }
}
