package dev.overlay.datapath;

import dev.overlay.vtep.InternetChecksum;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.function.Consumer;

/**
 * Software TCP segmentation offload (the kernel's GSO, done by the gateway): one TCP
 * "super-frame" of up to 64 KB, as a TAP device with TSO hands it over, becomes the MSS-sized
 * frames the tenant's stack would have put on a wire, each with its own copy of the Ethernet,
 * IP and TCP headers.
 *
 * <p>Per segment, as RFC 7414's "TCP segmentation offload" and the kernel's tcp_gso_segment do:
 * the IPv4 total length (RFC 791), identification (incremented per segment, as RFC 6864 section
 * 4.1 allows for atomic datagrams and the kernel does) and header checksum; the IPv6 payload length
 * (RFC 8200 section 3); the TCP sequence number advanced by the bytes before it (RFC 9293 section
 * 3.1); FIN and PSH only on the last segment, CWR only on the first (RFC 3168 section 6.1.2); the
 * TCP checksum computed over the pseudo-header and the whole segment (RFC 9293 section 3.1).
 *
 * <p>Segments are fresh buffers with {@link Buffers#HEADROOM} and {@link Buffers#TAILROOM}; the
 * input is only read, and stays the caller's.
 */
public final class TcpSegmenter {
    private static final int ETHERTYPE_IPV4 = 0x0800;
    private static final int ETHERTYPE_IPV6 = 0x86DD;
    private static final int ETHERTYPE_VLAN = 0x8100;
    private static final int ETHERTYPE_QINQ = 0x88A8;
    private static final int PROTOCOL_TCP = SegmentHeaders.PROTOCOL_TCP;

    private TcpSegmenter() {
    }

    /**
     * Splits the readable bytes of {@code frame} (Ethernet, optional 802.1Q tags, IPv4 or IPv6,
     * TCP, payload) into segments of at most {@code mss} payload bytes, handed to {@code out} in
     * order; ownership of each passes to {@code out}.
     *
     * @param l4Offset where the TCP header starts, relative to the frame's first byte (the
     *                 virtio header's csum_start), or -1 to find it (IPv4 options are skipped;
     *                 IPv6 then needs TCP as the first next header)
     * @return the number of segments handed out, or -1 when the frame is no TCP super-frame this
     *         can split (nothing handed out)
     */
    public static int segment(ByteBuf frame, int l4Offset, int mss, ByteBufAllocator alloc, Consumer<ByteBuf> out) {
        int base = frame.readerIndex();
        int length = frame.readableBytes();
        int l3 = networkOffset(frame);
        if (mss <= 0 || l3 < 0) {
            return -1;
        }
        int l4 = SegmentHeaders.transportOffset(frame, l3, l4Offset, PROTOCOL_TCP);
        if (l4 < 0 || l4 + 20 > length) {
            return -1;
        }
        int tcpLength = (frame.getUnsignedByte(base + l4 + 12) >> 4) * 4;
        int headers = l4 + tcpLength;
        if (tcpLength < 20 || headers > length) {
            return -1;
        }
        long seq = frame.getUnsignedInt(base + l4 + 4);
        int flags = frame.getUnsignedByte(base + l4 + 13);
        return SegmentHeaders.cutAll(frame, l3, l4, headers, mss, alloc, out,
                (seg, at, i, count, offset, size, addresses) ->
                        SegmentHeaders.tcp(seg, at, seq + offset, flags, i, count, addresses, tcpLength + size));
    }

    /**
     * Where the IP header of an Ethernet frame starts (after any 802.1Q and 802.1ad tags), relative
     * to its first readable byte, or -1 when the frame carries neither IPv4 nor IPv6 (the version
     * nibble must agree with the EtherType) or is too short to say.
     */
    public static int networkOffset(ByteBuf frame) {
        int base = frame.readerIndex();
        int length = frame.readableBytes();
        if (length < 15) {
            return -1;
        }
        int l3 = 12;
        int etherType = frame.getUnsignedShort(base + l3);
        while ((etherType == ETHERTYPE_VLAN || etherType == ETHERTYPE_QINQ) && l3 + 6 <= length) {
            l3 += 4;
            etherType = frame.getUnsignedShort(base + l3);
        }
        l3 += 2;
        if (l3 >= length) {
            return -1;
        }
        int version = frame.getUnsignedByte(base + l3) >> 4;
        if (etherType == ETHERTYPE_IPV4 && version == 4 || etherType == ETHERTYPE_IPV6 && version == 6) {
            return l3;
        }
        return -1;
    }

    /**
     * Completes a partial checksum as a device with checksum offload would (the virtio header's
     * NEEDS_CSUM): the field at {@code start + offset} holds the pseudo-header's sum, and the
     * checksum of bytes [start, end) replaces it. A UDP result of 0 is sent as 0xFFFF (RFC 768).
     *
     * @return false when the range or field lies outside the frame (nothing written)
     */
    public static boolean completeChecksum(ByteBuf frame, int start, int offset) {
        int base = frame.readerIndex();
        int length = frame.readableBytes();
        if (start < 0 || offset < 0 || start + offset + 2 > length) {
            return false;
        }
        int checksum = ~InternetChecksum.fold(InternetChecksum.partial(frame, base + start, length - start)) & 0xFFFF;
        if (checksum == 0 && offset == 6) {
            checksum = 0xFFFF; // UDP's checksum field; 0 there means "no checksum"
        }
        frame.setShort(base + start + offset, checksum);
        return true;
    }
}
