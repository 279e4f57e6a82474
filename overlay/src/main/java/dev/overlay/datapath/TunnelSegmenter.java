package dev.overlay.datapath;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.function.Consumer;

/**
 * Software segmentation of a TCP super-frame inside a UDP tunnel (the kernel's SKB_GSO_UDP_TUNNEL
 * with TCPv4 or TCPv6 inside: a tenant that runs its own VXLAN, Geneve or FOU over the port's
 * interface with tx-udp_tnl-segmentation on, as veth and most NICs have it). The kernel reports
 * such a frame with gso_type TCPV4 or TCPV6 and csum_start at the inner TCP header; this cuts it as
 * __skb_udp_tunnel_segment and tcp_gso_segment do together.
 *
 * <p>Per segment: the inner IPv4 total length, identification (incremented) and header checksum or
 * the inner IPv6 payload length, the inner TCP sequence number, flags (FIN and PSH on the last, CWR
 * on the first) and checksum, as {@link TcpSegmenter} sets them (RFC 9293, RFC 3168); then the
 * outer UDP length, and its checksum when the super-frame carried one (a zero outer UDP checksum
 * stays zero, RFC 7348 section 5), and the outer IPv4 total length, identification and checksum or
 * the outer IPv6 payload length. The tunnel header and the inner Ethernet header are copied as
 * they are.
 *
 * <p>The inner IP header is found from the inner TCP header back: an IPv6 header 40 bytes before
 * it with TCP as next header, or an IPv4 header whose IHL ends exactly there with protocol TCP,
 * after the outer UDP header. Segments are fresh buffers with {@link Buffers#HEADROOM} and
 * {@link Buffers#TAILROOM}; the input is only read.
 */
public final class TunnelSegmenter {
    private static final int PROTOCOL_TCP = SegmentHeaders.PROTOCOL_TCP;
    private static final int PROTOCOL_UDP = SegmentHeaders.PROTOCOL_UDP;

    private TunnelSegmenter() {
    }

    /**
     * Splits the readable bytes of {@code frame} (Ethernet, IPv4 or IPv6, UDP, a tunnel header,
     * the inner packet with its TCP header at {@code l4Offset}) into segments of at most
     * {@code mss} inner payload bytes, handed to {@code out} in order.
     *
     * @return the number of segments handed out, or -1 when the frame is no UDP-tunnelled TCP
     *         super-frame (nothing handed out)
     */
    public static int segment(ByteBuf frame, int l4Offset, int mss, ByteBufAllocator alloc, Consumer<ByteBuf> out) {
        int base = frame.readerIndex();
        int length = frame.readableBytes();
        int l3 = TcpSegmenter.networkOffset(frame);
        if (mss <= 0 || l3 < 0 || l4Offset < 0 || l4Offset + 20 > length) {
            return -1;
        }
        boolean v4 = frame.getUnsignedByte(base + l3) >> 4 == 4;
        int udp = SegmentHeaders.transportOffset(frame, l3, -1, PROTOCOL_UDP);
        if (udp < 0) {
            return -1;
        }
        int inner = innerNetwork(frame, udp + 8, l4Offset);
        if (inner < 0) {
            return -1;
        }
        boolean innerV4 = frame.getUnsignedByte(base + inner) >> 4 == 4;
        int tcpLength = (frame.getUnsignedByte(base + l4Offset + 12) >> 4) * 4;
        int headers = l4Offset + tcpLength;
        if (tcpLength < 20 || headers > length) {
            return -1;
        }
        int payload = length - headers;
        int count = Math.max(1, (payload + mss - 1) / mss);
        boolean udpChecksum = frame.getUnsignedShort(base + udp + 6) != 0;
        long seq = frame.getUnsignedInt(base + l4Offset + 4);
        int flags = frame.getUnsignedByte(base + l4Offset + 13);
        int outerId = v4 ? frame.getUnsignedShort(base + l3 + 4) : 0;
        int innerId = innerV4 ? frame.getUnsignedShort(base + inner + 4) : 0;
        long outerAddresses = SegmentHeaders.addresses(frame, base + l3, v4);
        long innerAddresses = SegmentHeaders.addresses(frame, base + inner, innerV4);
        for (int i = 0; i < count; i++) {
            int offset = i * mss;
            int size = Math.min(mss, payload - offset);
            ByteBuf seg = SegmentHeaders.cut(frame, base, headers, base + headers + offset, size, alloc);
            int s = seg.readerIndex();
            int end = headers + size;
            SegmentHeaders.ip(seg, s + inner, innerV4, l4Offset - inner, end - inner, innerId + i);
            SegmentHeaders.tcp(seg, s + l4Offset, seq + offset, flags, i, count, innerAddresses, end - l4Offset);
            SegmentHeaders.udp(seg, s + udp, end - udp, udpChecksum, outerAddresses);
            SegmentHeaders.ip(seg, s + l3, v4, udp - l3, end - l3, outerId + i);
            out.accept(seg);
        }
        return count;
    }

    /**
     * Where the inner IP header starts, given the inner TCP header at {@code l4} and the first
     * byte after the outer UDP header at {@code from}; -1 when no IP header ends exactly at
     * {@code l4} with protocol TCP.
     */
    private static int innerNetwork(ByteBuf frame, int from, int l4) {
        int base = frame.readerIndex();
        int v6 = l4 - 40;
        if (v6 >= from && frame.getUnsignedByte(base + v6) >> 4 == 6 && frame.getUnsignedByte(base + v6 + 6) == PROTOCOL_TCP) {
            return v6;
        }
        for (int ihl = 5; ihl <= 15; ihl++) {
            int v4 = l4 - ihl * 4;
            if (v4 >= from && frame.getUnsignedByte(base + v4) == (0x40 | ihl)
                    && frame.getUnsignedByte(base + v4 + 9) == PROTOCOL_TCP) {
                return v4;
            }
        }
        return -1;
    }
}
