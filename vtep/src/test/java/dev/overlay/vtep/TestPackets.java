package dev.overlay.vtep;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.HexFormat;

/** Builds overlay packets with our encoder and runs them through the receive path. */
final class TestPackets {
    static final long OUTER_DST_MAC = 0x0200_0000_0b01L;
    static final long OUTER_SRC_MAC = 0x0200_0000_0a01L;
    static final byte[] V4_SRC = {(byte) 192, 0, 2, 1};
    static final byte[] V4_DST = {(byte) 192, 0, 2, 2};
    static final byte[] V6_SRC = HexFormat.of().parseHex("20010db8000000000000000000000001");
    static final byte[] V6_DST = HexFormat.of().parseHex("20010db8000000000000000000000002");
    /** Enough for every outer header: Ethernet, a tag, IPv6, UDP, Geneve with full options. */
    static final int HEADROOM = 14 + 4 + 40 + 8 + 8 + 252;

    private TestPackets() {}

    static ByteBuf withHeadroom(byte[] payload) {
        ByteBuf buf = Unpooled.buffer(HEADROOM + payload.length);
        buf.setIndex(HEADROOM, HEADROOM);
        buf.writeBytes(payload);
        return buf;
    }

    /** An inner Ethernet / IPv4 / UDP frame with {@code payloadLength} bytes of 0xAB. */
    static byte[] innerFrame(int srcHost, int srcPort, int dstPort, int payloadLength) {
        ByteBuf buf = withHeadroom(new byte[payloadLength]);
        try {
            for (int i = buf.readerIndex(); i < buf.writerIndex(); i++) {
                buf.setByte(i, 0xAB);
            }
            byte[] src = {10, 0, (byte) (srcHost >>> 8), (byte) srcHost};
            byte[] dst = {10, 0, 0, 1};
            Udp.prepend(buf, srcPort, dstPort, src, dst, true);
            Ipv4.prepend(buf, src, dst, Udp.PROTOCOL);
            Ethernet.prepend(buf, 0x0200_0000_0001L, 0x0200_0000_0000L | srcHost, Ethernet.TYPE_IPV4);
            return ByteBufUtil.getBytes(buf);
        } finally {
            buf.release();
        }
    }

    /** inner -> VXLAN or Geneve -> UDP -> IPv4/IPv6 -> Ethernet, prepended in place. */
    static ByteBuf encapsulate(byte[] inner, boolean ipv6, boolean geneve, int vni,
            GeneveOptions options, boolean udpChecksum) {
        ByteBuf buf = withHeadroom(inner);
        int hash = FlowHash.hash(buf, buf.readerIndex(), buf.readableBytes());
        if (geneve) {
            Geneve.prepend(buf, vni, options, false);
        } else {
            Vxlan.prepend(buf, vni);
        }
        int dstPort = geneve ? Geneve.DEFAULT_PORT : Vxlan.DEFAULT_PORT;
        byte[] src = ipv6 ? V6_SRC : V4_SRC;
        byte[] dst = ipv6 ? V6_DST : V4_DST;
        Udp.prepend(buf, FlowHash.sourcePort(hash), dstPort, src, dst, udpChecksum);
        if (ipv6) {
            Ipv6.prepend(buf, src, dst, Udp.PROTOCOL, FlowHash.ipv6FlowLabel(hash));
        } else {
            Ipv4.prepend(buf, src, dst, Udp.PROTOCOL);
        }
        Ethernet.prepend(buf, OUTER_DST_MAC, OUTER_SRC_MAC,
                ipv6 ? Ethernet.TYPE_IPV6 : Ethernet.TYPE_IPV4);
        return buf;
    }

    /** What the receive path found. */
    static final class Decap {
        VtepDrop drop;
        boolean overlay;
        int vni = -1;
        int innerOffset;
        int innerLength;

        byte[] inner(ByteBuf pkt) {
            return ByteBufUtil.getBytes(pkt, innerOffset, innerLength);
        }
    }

    /** The receive path as the datapath composes it: parse, classify by port, check, locate. */
    static Decap decapsulate(ByteBuf pkt, OuterHeaders h, boolean verifyUdpChecksum,
            Geneve.OptionFilter known) {
        Decap d = new Decap();
        d.drop = OuterHeaders.parse(pkt, h, verifyUdpChecksum);
        if (d.drop != null || !h.isUdp()) {
            return d;
        }
        if (h.dstPort == Geneve.DEFAULT_PORT) {
            d.overlay = true;
            d.drop = Geneve.check(pkt, h.payloadOffset, h.payloadLength, known);
            if (d.drop == null) {
                int hl = Geneve.headerLength(pkt, h.payloadOffset);
                d.vni = Geneve.vni(pkt, h.payloadOffset);
                d.innerOffset = h.payloadOffset + hl;
                d.innerLength = h.payloadLength - hl;
            }
        } else if (h.dstPort == Vxlan.DEFAULT_PORT || h.dstPort == 8472) {
            d.overlay = true;
            d.drop = Vxlan.check(pkt, h.payloadOffset, h.payloadLength);
            if (d.drop == null) {
                d.vni = Vxlan.vni(pkt, h.payloadOffset);
                d.innerOffset = h.payloadOffset + Vxlan.HEADER_LENGTH;
                d.innerLength = h.payloadLength - Vxlan.HEADER_LENGTH;
            }
        }
        return d;
    }
}
