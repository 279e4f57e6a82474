package dev.overlay.datapath;

import dev.overlay.vtep.InternetChecksum;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.function.Consumer;

/**
 * What the software segmenters ({@link TcpSegmenter}, {@link UdpSegmenter}, {@link TunnelSegmenter})
 * do alike to every segment they cut from a super-frame: copy the headers and a run of payload
 * into a fresh buffer, and rewrite an IP header and a TCP header for that segment. Indices are
 * absolute (buffer indices), lengths in bytes.
 */
final class SegmentHeaders {
    static final int PROTOCOL_TCP = 6;
    static final int PROTOCOL_UDP = 17;
    private static final int FIN = 0x01;
    private static final int PSH = 0x08;
    private static final int CWR = 0x80;

    private SegmentHeaders() {
    }

    /**
     * Where the transport header of a super-frame starts, relative to its first readable byte,
     * given its IP header at {@code l3}, or -1 when the frame is no {@code protocol} super-frame
     * a segmenter can cut. IPv4: the protocol field, IHL at least 5 (options are kept), and the
     * virtio header's {@code l4Offset}, if given, where IHL says. IPv6: the transport header
     * directly after the fixed header unless {@code l4Offset} says otherwise; then only
     * hop-by-hop, routing or destination options may come between (RFC 8200 section 4), never a
     * tunnel (UDP, GRE, IP in IPv6), whose outer lengths segmenting would leave stale.
     */
    static int transportOffset(ByteBuf frame, int l3, int l4Offset, int protocol) {
        int base = frame.readerIndex();
        int length = frame.readableBytes();
        if (frame.getUnsignedByte(base + l3) >> 4 == 4) {
            int ihl = frame.getUnsignedByte(base + l3) & 0x0F;
            if (l3 + 20 > length || frame.getUnsignedByte(base + l3 + 9) != protocol || ihl < 5) {
                return -1;
            }
            int l4 = l3 + ihl * 4;
            return l4Offset < 0 || l4Offset == l4 ? l4 : -1;
        }
        if (l3 + 40 > length) {
            return -1;
        }
        int next = frame.getUnsignedByte(base + l3 + 6);
        if (next != protocol && (l4Offset < 0 || next != 0 && next != 43 && next != 60)) {
            return -1;
        }
        int l4 = l4Offset < 0 ? l3 + 40 : l4Offset;
        return l4 < l3 + 40 ? -1 : l4;
    }

    /** Rewrites the transport header of one segment, at {@code l4} in {@code seg}. */
    interface Transport {
        /**
         * @param i        the segment's place, from 0, of {@code count}
         * @param offset   where its payload starts in the super-frame's payload
         * @param size     its payload's length
         * @param addresses the pseudo-header's address sum ({@link #addresses})
         */
        void write(ByteBuf seg, int l4, int i, int count, int offset, int size, long addresses);
    }

    /**
     * Cuts the super-frame in {@code frame}'s readable bytes (its IP header at {@code l3}, its
     * transport header at {@code l4}, {@code headers} bytes of headers in all) into segments of
     * {@code size} payload bytes, the last one shorter: each a fresh buffer ({@link #cut}) with its
     * IP header rewritten ({@link #ip}, IPv4 identifications counting up from the super-frame's)
     * and its transport header by {@code transport}, handed to {@code out} in order.
     *
     * @return the number of segments
     */
    static int cutAll(ByteBuf frame, int l3, int l4, int headers, int size, ByteBufAllocator alloc,
                      Consumer<ByteBuf> out, Transport transport) {
        int base = frame.readerIndex();
        boolean v4 = frame.getUnsignedByte(base + l3) >> 4 == 4;
        int payload = frame.readableBytes() - headers;
        int count = Math.max(1, (payload + size - 1) / size);
        int id = v4 ? frame.getUnsignedShort(base + l3 + 4) : 0;
        // The addresses of the pseudo-header are the same in every segment: summed once.
        long addresses = addresses(frame, base + l3, v4);
        for (int i = 0; i < count; i++) {
            int offset = i * size;
            int length = Math.min(size, payload - offset);
            ByteBuf seg = cut(frame, base, headers, base + headers + offset, length, alloc);
            int s = seg.readerIndex();
            ip(seg, s + l3, v4, l4 - l3, headers - l3 + length, id + i);
            transport.write(seg, s + l4, i, count, offset, length, addresses);
            out.accept(seg);
        }
        return count;
    }

    /**
     * A fresh buffer with {@link Buffers#HEADROOM} and {@link Buffers#TAILROOM} holding the first
     * {@code headers} bytes of {@code frame} from {@code base}, then {@code size} bytes from
     * {@code payloadAt}; its reader index is where the copied headers start.
     */
    static ByteBuf cut(ByteBuf frame, int base, int headers, int payloadAt, int size, ByteBufAllocator alloc) {
        ByteBuf seg = alloc.directBuffer(Buffers.HEADROOM + headers + size + Buffers.TAILROOM);
        seg.setIndex(Buffers.HEADROOM, Buffers.HEADROOM);
        seg.writeBytes(frame, base, headers);
        seg.writeBytes(frame, payloadAt, size);
        return seg;
    }

    /** The unfolded sum of the source and destination addresses of the IP header at {@code l3}: the pseudo-header's. */
    static long addresses(ByteBuf frame, int l3, boolean v4) {
        return v4 ? InternetChecksum.partial(frame, l3 + 12, 8) : InternetChecksum.partial(frame, l3 + 8, 32);
    }

    /**
     * The IP header at {@code l3} of a segment whose IP packet is {@code packetLength} bytes: for
     * IPv4 the total length, the identification {@code id} and the header checksum over its
     * {@code headerLength} bytes (RFC 791); for IPv6 the payload length (RFC 8200 section 3).
     */
    static void ip(ByteBuf seg, int l3, boolean v4, int headerLength, int packetLength, int id) {
        if (v4) {
            seg.setShort(l3 + 2, packetLength);
            seg.setShort(l3 + 4, id);
            seg.setShort(l3 + 10, 0);
            seg.setShort(l3 + 10, InternetChecksum.checksum(seg, l3, headerLength));
        } else {
            seg.setShort(l3 + 4, packetLength - 40);
        }
    }

    /**
     * The TCP header at {@code l4} of segment {@code i} of {@code count}: the sequence number,
     * FIN and PSH only on the last segment and CWR only on the first (RFC 3168 section 6.1.2),
     * and the checksum over the pseudo-header ({@code addresses}) and the {@code segmentLength}
     * bytes of header and payload (RFC 9293 section 3.1).
     */
    static void tcp(ByteBuf seg, int l4, long seq, int flags, int i, int count, long addresses, int segmentLength) {
        seg.setInt(l4 + 4, (int) seq);
        int f = flags;
        if (i < count - 1) {
            f &= ~(FIN | PSH);
        }
        if (i > 0) {
            f &= ~CWR;
        }
        seg.setByte(l4 + 13, f);
        seg.setShort(l4 + 16, 0);
        long sum = addresses + PROTOCOL_TCP + segmentLength + InternetChecksum.partial(seg, l4, segmentLength);
        seg.setShort(l4 + 16, ~InternetChecksum.fold(sum) & 0xFFFF);
    }

    /**
     * The UDP header at {@code l4} of a datagram of {@code udpLength} bytes: the length and, when
     * {@code checksum}, the checksum over the pseudo-header and the datagram, a result of 0 sent
     * as 0xFFFF (RFC 768); without, the field is left as it was.
     */
    static void udp(ByteBuf seg, int l4, int udpLength, boolean checksum, long addresses) {
        seg.setShort(l4 + 4, udpLength);
        if (checksum) {
            seg.setShort(l4 + 6, 0);
            long sum = addresses + PROTOCOL_UDP + udpLength + InternetChecksum.partial(seg, l4, udpLength);
            int c = ~InternetChecksum.fold(sum) & 0xFFFF;
            seg.setShort(l4 + 6, c == 0 ? 0xFFFF : c);
        }
    }
}
