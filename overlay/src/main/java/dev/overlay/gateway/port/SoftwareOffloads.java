package dev.overlay.gateway.port;

import dev.overlay.datapath.Buffers;
import dev.overlay.datapath.PathMtu;
import dev.overlay.datapath.TcpSegmenter;
import dev.overlay.datapath.TunnelSegmenter;
import dev.overlay.datapath.UdpSegmenter;
import dev.overlay.vtep.InternetChecksum;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import java.util.logging.Logger;

/**
 * The receive half of a NIC's offloads, done in software for a port that reads frames the kernel
 * has not finished: what the tenant's stack handed its device (a partial checksum, a 64 KB TCP or
 * UDP "super-frame") becomes what that device would have put on a wire. Shared by the TAP port
 * (IFF_VNET_HDR) and the pcap port (AF_PACKET with PACKET_VNET_HDR, or PACKET_AUXDATA alone),
 * whose readers hand each frame here from their own read buffer.
 *
 * <p>With a {@link VirtioNetHeader}: NEEDS_CSUM completes the checksum at csum_start +
 * csum_offset ({@link TcpSegmenter#completeChecksum}); gso_type TCPV4 or TCPV6 (with or without
 * the ECN bit: CWR stays on the first segment only either way) cuts the frame into gso_size
 * segments ({@link TcpSegmenter}, or {@link TunnelSegmenter} when the TCP is inside the tenant's
 * own UDP tunnel), UDP_L4 into gso_size datagrams ({@link UdpSegmenter}).
 * Without one ({@link #withoutHeader}): the kernel only said "checksum not ready"
 * (TP_STATUS_CSUMNOTREADY), so the TCP or UDP checksum right after the IP header is computed whole
 * when its field holds the pseudo-header's sum (what a partial checksum leaves; otherwise the
 * frame is refused), and a TCP frame longer than the interface MTU is cut at the MSS that MTU
 * allows; a super-frame of TCP inside a tunnel is refused, its inner header not being known.
 *
 * <p>Each frame or segment goes to the sink in a pooled direct buffer of its own after
 * {@link Buffers#HEADROOM}, counted in rxFrames and rxBytes; super-frames also in rxGsoFrames and
 * rxGsoSegments. A super-frame's segments go to the sink together, up to
 * {@link TenantPort.FrameSink#MAX_SEGMENTS} per call ({@link TenantPort.FrameSink#receiveSegments}),
 * so the datapath decides once where they go and hands them to the SA's owner as one job. A frame
 * that cannot be delivered whole and correct is refused (the caller counts it in rxErrors), never
 * delivered cut or with a checksum left unfinished.
 */
final class SoftwareOffloads implements Consumer<ByteBuf> {
    /**
     * The largest frame GSO hands over: a 64 KB IP datagram (the device's default gso_max_size)
     * behind Ethernet and two 802.1Q tags, with room to spare so a full read means a cut one.
     */
    static final int MAX_SUPER_FRAME = 65_536 + 1_024;
    private static final int PROTOCOL_TCP = 6;
    private static final int PROTOCOL_UDP = 17;

    private final TenantPort port;
    private final ByteBufAllocator alloc;
    private final PortCounters counters;
    private final TenantPort.FrameSink sink;
    private final Logger log;
    /** Segments of the super-frame being cut, handed to the sink together ({@link TenantPort.FrameSink#receiveSegments}). */
    private final ByteBuf[] batch = new ByteBuf[TenantPort.FrameSink.MAX_SEGMENTS];
    private int batched;
    /** True while a segmenter is cutting a super-frame: {@link #accept} collects instead of delivering. */
    private boolean cutting;

    SoftwareOffloads(TenantPort port, ByteBufAllocator alloc, PortCounters counters, TenantPort.FrameSink sink, Logger log) {
        this.port = port;
        this.alloc = alloc;
        this.counters = counters;
        this.sink = sink;
        this.log = log;
    }

    /**
     * One finished frame to the sink (while a super-frame is being cut, to the batch of its
     * segments), counted; a segment longer than {@link Ports#MAX_FRAME} (a gso_size no MTU allows)
     * is counted in rxErrors instead, as any port counts such a frame.
     */
    @Override
    public void accept(ByteBuf frame) {
        if (frame.readableBytes() > Ports.MAX_FRAME) {
            counters.rxErrors.increment();
            frame.release();
            return;
        }
        counters.rxFrames.increment();
        counters.rxBytes.add(frame.readableBytes());
        if (!cutting) {
            Sinks.deliver(sink, port, frame, log);
            return;
        }
        batch[batched++] = frame;
        if (batched == batch.length) {
            deliverBatch();
        }
    }

    /**
     * Runs a segmenter (its segments come back through {@link #accept}, which collects them while
     * this runs) and hands what it cut to the sink together, even if it threw part-way.
     */
    private int cut(IntSupplier segmenter) {
        cutting = true;
        try {
            return segmenter.getAsInt();
        } finally {
            cutting = false;
            deliverBatch();
        }
    }

    /** The segments cut so far from the current super-frame, to the sink at once. */
    private void deliverBatch() {
        int n = batched;
        batched = 0;
        if (n > 0) {
            Sinks.deliverSegments(sink, port, batch, n, log);
        }
    }

    /**
     * The readable bytes of {@code in}, read after a virtio header whose fields are given, to the
     * sink; {@code in} stays the caller's.
     *
     * @return false when it cannot be delivered (nothing was)
     */
    boolean withHeader(ByteBuf in, int flags, int gsoType, int gsoSize, int csumStart, int csumOffset) {
        boolean partial = (flags & VirtioNetHeader.F_NEEDS_CSUM) != 0;
        int segments;
        switch (gsoType & ~VirtioNetHeader.GSO_ECN) {
            case VirtioNetHeader.GSO_NONE -> {
                int length = in.readableBytes();
                if (length > Ports.MAX_FRAME) {
                    return false;
                }
                ByteBuf frame = copy(in);
                if (partial && !TcpSegmenter.completeChecksum(frame, csumStart, csumOffset)) {
                    frame.release();
                    return false;
                }
                accept(frame);
                return true;
            }
            case VirtioNetHeader.GSO_TCPV4, VirtioNetHeader.GSO_TCPV6 -> {
                if (!PathMtu.segmentsFit(in, partial ? csumStart : -1, gsoSize, sink.tenantMtu(port))) {
                    return whole(in);
                }
                segments = cut(() -> {
                    int n = TcpSegmenter.segment(in, partial ? csumStart : -1, gsoSize, alloc, this);
                    // The tenant's own UDP tunnel (VXLAN, Geneve) with TSO inside: csum_start is the inner TCP.
                    return n < 0 && partial ? TunnelSegmenter.segment(in, csumStart, gsoSize, alloc, this) : n;
                });
            }
            case VirtioNetHeader.GSO_UDP_L4 ->
                segments = cut(() -> UdpSegmenter.segment(in, partial ? csumStart : -1, gsoSize, alloc, this));
            default -> segments = -1; // UFO (IP fragments of one datagram): no kernel since 4.14 makes it
        }
        return gso(segments);
    }

    /**
     * The readable bytes of {@code in}, read with no virtio header, to the sink: {@code partial}
     * (TP_STATUS_CSUMNOTREADY) has its TCP or UDP checksum computed whole, a TCP frame whose IP
     * datagram is longer than {@code mtu} is cut into segments that fit it.
     *
     * @return false when it cannot be delivered (nothing was): a super-frame that is not TCP (a
     *         UDP one's datagram boundaries are not in it), or a partial checksum not found
     */
    boolean withoutHeader(ByteBuf in, boolean partial, int mtu) {
        int base = in.readerIndex();
        int length = in.readableBytes();
        int l3 = TcpSegmenter.networkOffset(in);
        if (l3 < 0 || length - l3 <= mtu) {
            if (length > Ports.MAX_FRAME || partial && l3 < 0) {
                return false;
            }
            ByteBuf frame = copy(in);
            if (partial && !completeWhole(frame, l3)) {
                frame.release();
                return false;
            }
            accept(frame);
            return true;
        }
        int l4 = transport(in, l3, PROTOCOL_TCP);
        if (l4 < 0 || l4 + 20 > length) {
            return false;
        }
        int mss = mtu - (l4 - l3) - (in.getUnsignedByte(base + l4 + 12) >> 4) * 4;
        if (!PathMtu.segmentsFit(in, l4, mss, sink.tenantMtu(port))) {
            return whole(in);
        }
        return gso(cut(() -> TcpSegmenter.segment(in, l4, mss, alloc, this)));
    }

    /**
     * A TCP super-frame whose segments would each exceed the tenant MTU, handed on whole and
     * uncut: the datapath answers it with one ICMP error and one too-big drop, as the kernel's
     * {@code skb_gso_validate_network_len} path answers a GSO packet, instead of a drop (and an
     * error) per segment. Counted as a super-frame with no segments.
     */
    private boolean whole(ByteBuf in) {
        ByteBuf frame = copy(in);
        counters.rxGsoFrames.increment();
        counters.rxFrames.increment();
        counters.rxBytes.add(frame.readableBytes());
        Sinks.deliver(sink, port, frame, log);
        return true;
    }

    private boolean gso(int segments) {
        if (segments <= 0) {
            return false;
        }
        counters.rxGsoFrames.increment();
        counters.rxGsoSegments.add(segments);
        return true;
    }

    private ByteBuf copy(ByteBuf in) {
        int length = in.readableBytes();
        ByteBuf frame = alloc.directBuffer(Buffers.HEADROOM + length + Buffers.TAILROOM);
        frame.setIndex(Buffers.HEADROOM, Buffers.HEADROOM);
        frame.writeBytes(in, in.readerIndex(), length);
        return frame;
    }

    /** The checksum of the TCP or UDP header at the end of the IP header, computed over pseudo-header and segment. */
    private static boolean completeWhole(ByteBuf frame, int l3) {
        int l4 = transport(frame, l3, PROTOCOL_TCP);
        int offset = 16;
        int protocol = PROTOCOL_TCP;
        if (l4 < 0) {
            l4 = transport(frame, l3, PROTOCOL_UDP);
            offset = 6;
            protocol = PROTOCOL_UDP;
        }
        if (l4 < 0) {
            return false;
        }
        int base = frame.readerIndex();
        boolean v4 = frame.getUnsignedByte(base + l3) >> 4 == 4;
        int l4Length = frame.readableBytes() - l4;
        int pseudo = InternetChecksum.fold((v4 ? InternetChecksum.partial(frame, base + l3 + 12, 8)
                : InternetChecksum.partial(frame, base + l3 + 8, 32)) + protocol + l4Length);
        // CHECKSUM_PARTIAL leaves the pseudo-header's sum in the field it is to complete. Anything
        // else there (a tunnel's complete outer UDP checksum, the partial one being the inner
        // TCP's, which cannot be found without csum_start) is refused rather than guessed at.
        int field = frame.getUnsignedShort(base + l4 + offset);
        if (field != pseudo && !(field == 0 && pseudo == 0xFFFF || field == 0xFFFF && pseudo == 0)) { // +0 and -0
            return false;
        }
        return TcpSegmenter.completeChecksum(frame, l4, offset);
    }

    /**
     * Where the {@code protocol} header starts when it directly follows the IP header (IPv4 with
     * its options, IPv6 with no extension header), or -1.
     */
    private static int transport(ByteBuf frame, int l3, int protocol) {
        int base = frame.readerIndex();
        int length = frame.readableBytes();
        int l4;
        if (frame.getUnsignedByte(base + l3) >> 4 == 4) {
            if (l3 + 20 > length || frame.getUnsignedByte(base + l3 + 9) != protocol
                    || (frame.getUnsignedByte(base + l3) & 0x0F) < 5
                    || (frame.getUnsignedShort(base + l3 + 6) & 0x3FFF) != 0) {
                return -1; // no transport header of its own to finish (a fragment, or no IPv4 header at all)
            }
            l4 = l3 + (frame.getUnsignedByte(base + l3) & 0x0F) * 4;
        } else {
            if (l3 + 40 > length || frame.getUnsignedByte(base + l3 + 6) != protocol) {
                return -1;
            }
            l4 = l3 + 40;
        }
        return l4 + (protocol == PROTOCOL_TCP ? 20 : 8) <= length ? l4 : -1;
    }
}
