package dev.overlay.gateway.port;

import io.netty.buffer.ByteBuf;

/**
 * {@code struct virtio_net_hdr} (virtio 1.2 section 5.1.6, {@code <linux/virtio_net.h>}), the 10
 * bytes before every frame of a TAP device opened with IFF_VNET_HDR and of an AF_PACKET socket
 * with PACKET_VNET_HDR: how the kernel tells the reader that a frame is a TCP or UDP
 * "super-frame" to segment (gso_type, gso_size) or carries a partial checksum to complete (flags
 * NEEDS_CSUM, csum_start, csum_offset), and how a writer says the same. Fields are little-endian:
 * a TAP device is little-endian unless TUNSETVNETBE is set, AF_PACKET uses the host's order
 * (vio_le()), and Linux on x86_64 and aarch64 (the platforms of {@link Libc}) is.
 */
final class VirtioNetHeader {
    static final int SIZE = 10;

    /** flags: the checksum of [csum_start, end) goes at csum_start + csum_offset. */
    static final int F_NEEDS_CSUM = 1;

    static final int GSO_NONE = 0;
    static final int GSO_TCPV4 = 1;
    static final int GSO_TCPV6 = 4;
    /** UDP segmentation (USO, SKB_GSO_UDP_L4): each gso_size piece of the payload is a datagram of its own. */
    static final int GSO_UDP_L4 = 5;
    /**
     * Or-ed into gso_type when the stack asks for ECN-correct TSO (SKB_GSO_TCP_ECN: CWR on the
     * first segment only, which is how segments are always cut here). A TAP device never sets it
     * (TUN_F_TSO_ECN is not offered); AF_PACKET passes it through.
     */
    static final int GSO_ECN = 0x80;

    private VirtioNetHeader() {
    }

    static int flags(ByteBuf buf, int index) {
        return buf.getUnsignedByte(index);
    }

    /** gso_type without the ECN bit. */
    static int gsoType(ByteBuf buf, int index) {
        return buf.getUnsignedByte(index + 1) & ~GSO_ECN;
    }

    static int gsoSize(ByteBuf buf, int index) {
        return buf.getUnsignedShortLE(index + 4);
    }

    static int csumStart(ByteBuf buf, int index) {
        return buf.getUnsignedShortLE(index + 6);
    }

    static int csumOffset(ByteBuf buf, int index) {
        return buf.getUnsignedShortLE(index + 8);
    }

    /** A header that asks nothing of the kernel: no GSO, checksums complete. */
    static void writeNone(ByteBuf buf, int index) {
        buf.setZero(index, SIZE);
    }

    /**
     * A header for a coalesced TCP super-frame: segments of {@code gsoSize} payload bytes, the TCP
     * checksum partial (the pseudo-header's sum in the field) from {@code csumStart}.
     */
    static void writeTcp(ByteBuf buf, int index, boolean v6, int headerLength, int gsoSize, int csumStart) {
        buf.setByte(index, F_NEEDS_CSUM);
        buf.setByte(index + 1, v6 ? GSO_TCPV6 : GSO_TCPV4);
        buf.setShortLE(index + 2, headerLength);
        buf.setShortLE(index + 4, gsoSize);
        buf.setShortLE(index + 6, csumStart);
        buf.setShortLE(index + 8, 16); // TCP's checksum field (RFC 9293 section 3.1)
    }
}
