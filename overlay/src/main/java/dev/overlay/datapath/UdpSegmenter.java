package dev.overlay.datapath;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.function.Consumer;

/**
 * Software UDP segmentation offload (the kernel's USO, SKB_GSO_UDP_L4, done by the gateway): one
 * UDP "super-frame", as a stack hands it to a device when an application sends with UDP_SEGMENT
 * (QUIC stacks, iperf3 does not), becomes the datagrams of {@code gsoSize} payload bytes the
 * application asked for, each a datagram of its own, as the kernel's __udp_gso_segment makes them.
 *
 * <p>Per datagram: the IPv4 total length, identification (incremented per datagram, as
 * inet_gso_segment does) and header checksum (RFC 791); the IPv6 payload length (RFC 8200 section
 * 3); the UDP length and checksum over the pseudo-header and the datagram, a result of 0 sent as
 * 0xFFFF (RFC 768). Unlike IP fragmentation (UFO), each datagram stands alone.
 *
 * <p>Datagrams are fresh buffers with {@link Buffers#HEADROOM} and {@link Buffers#TAILROOM}; the
 * input is only read, and stays the caller's.
 */
public final class UdpSegmenter {
    private static final int PROTOCOL_UDP = SegmentHeaders.PROTOCOL_UDP;

    private UdpSegmenter() {
    }

    /**
     * Splits the readable bytes of {@code frame} (Ethernet, optional 802.1Q tags, IPv4 or IPv6,
     * UDP, payload) into datagrams of at most {@code gsoSize} payload bytes, handed to {@code out}
     * in order; ownership of each passes to {@code out}.
     *
     * @param l4Offset where the UDP header starts, relative to the frame's first byte (the virtio
     *                 header's csum_start), or -1 to find it (IPv6 then needs UDP as the first
     *                 next header; given, only IPv6 extension headers may come before it)
     * @return the number of datagrams handed out, or -1 when the frame is no UDP super-frame this
     *         can split (nothing handed out)
     */
    public static int segment(ByteBuf frame, int l4Offset, int gsoSize, ByteBufAllocator alloc, Consumer<ByteBuf> out) {
        int base = frame.readerIndex();
        int length = frame.readableBytes();
        int l3 = TcpSegmenter.networkOffset(frame);
        if (gsoSize <= 0 || l3 < 0) {
            return -1;
        }
        int l4 = SegmentHeaders.transportOffset(frame, l3, l4Offset, PROTOCOL_UDP);
        if (l4 < 0) {
            return -1;
        }
        int headers = l4 + 8;
        if (headers > length) {
            return -1;
        }
        return SegmentHeaders.cutAll(frame, l3, l4, headers, gsoSize, alloc, out,
                (seg, at, i, count, offset, size, addresses) -> SegmentHeaders.udp(seg, at, 8 + size, true, addresses));
    }
}
