package dev.overlay.vtep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OuterHeadersTest {
    private final OuterHeaders h = new OuterHeaders();
    private final byte[] inner = TestPackets.innerFrame(5, 6, 7, 30);
    private ByteBuf pkt;

    @AfterEach
    void release() {
        if (pkt != null) {
            pkt.release();
        }
    }

    /** A VXLAN datagram (UDP checksum over the given addresses) with nothing in front of it. */
    private ByteBuf datagram(byte[] src, byte[] dst) {
        ByteBuf buf = TestPackets.withHeadroom(inner);
        Vxlan.prepend(buf, 42);
        Udp.prepend(buf, 50000, Vxlan.DEFAULT_PORT, src, dst, true);
        return buf;
    }

    /** An IPv4 header with {@code ihl} words (options zero-filled) and a correct checksum. */
    private static void ipv4(ByteBuf buf, int ihl, int flagsAndOffset, int protocol) {
        int len = ihl * 4;
        int at = buf.readerIndex() - len;
        buf.setZero(at, len);
        buf.setByte(at, 0x40 | ihl);
        buf.setShort(at + 2, buf.readableBytes() + len);
        buf.setShort(at + 6, flagsAndOffset);
        buf.setByte(at + 8, 64);
        buf.setByte(at + 9, protocol);
        buf.setBytes(at + 12, TestPackets.V4_SRC);
        buf.setBytes(at + 16, TestPackets.V4_DST);
        buf.setShort(at + 10, InternetChecksum.checksum(buf, at, len));
        buf.readerIndex(at);
    }

    private static void ethernet(ByteBuf buf, int type) {
        Ethernet.prepend(buf, TestPackets.OUTER_DST_MAC, TestPackets.OUTER_SRC_MAC, type);
    }

    /** An IPv6 extension header of {@code length} bytes announcing {@code next}. */
    private static void extension(ByteBuf buf, int kind, int next, int length) {
        int at = buf.readerIndex() - length;
        buf.setZero(at, length);
        buf.setByte(at, next);
        if (kind == Ipv6.NEXT_AUTHENTICATION) {
            buf.setByte(at + 1, length / 4 - 2);
        } else if (kind != Ipv6.NEXT_FRAGMENT) {
            buf.setByte(at + 1, length / 8 - 1);
        }
        buf.readerIndex(at);
    }

    private TestPackets.Decap decap() {
        return TestPackets.decapsulate(pkt, h, true, Geneve.OptionFilter.NONE);
    }

    @Test
    void ipv4OptionsAreSkipped() {
        pkt = datagram(TestPackets.V4_SRC, TestPackets.V4_DST);
        ipv4(pkt, 6, Ipv4.DONT_FRAGMENT, Udp.PROTOCOL);
        ethernet(pkt, Ethernet.TYPE_IPV4);
        TestPackets.Decap d = decap();
        assertNull(d.drop);
        assertEquals(14 + 24, h.l4Offset - pkt.readerIndex());
        assertArrayEquals(inner, d.inner(pkt));
    }

    @Test
    void ethernetPaddingIsTrimmed() {
        pkt = TestPackets.encapsulate(inner, false, false, 42, GeneveOptions.NONE, true);
        pkt.writeZero(12);
        TestPackets.Decap d = decap();
        assertNull(d.drop);
        assertArrayEquals(inner, d.inner(pkt));
    }

    @Test
    void ipv4FragmentsAreDropped() {
        for (int flags : new int[] {Ipv4.MORE_FRAGMENTS, 0x0010, Ipv4.DONT_FRAGMENT | 1}) {
            ByteBuf p = datagram(TestPackets.V4_SRC, TestPackets.V4_DST);
            ipv4(p, 5, flags, Udp.PROTOCOL);
            ethernet(p, Ethernet.TYPE_IPV4);
            assertEquals(VtepDrop.FRAGMENT, OuterHeaders.parse(p, h, true));
            p.release();
        }
    }

    @Test
    void badIpv4HeadersAreDroppedByReason() {
        pkt = TestPackets.encapsulate(inner, false, false, 42, GeneveOptions.NONE, true);
        int l3 = pkt.readerIndex() + 14;
        pkt.setByte(l3 + 10, pkt.getByte(l3 + 10) ^ 1);
        assertEquals(VtepDrop.BAD_IPV4_CHECKSUM, OuterHeaders.parse(pkt, h, true));
        pkt.setByte(l3 + 10, pkt.getByte(l3 + 10) ^ 1);
        pkt.setByte(l3, 0x44);
        assertEquals(VtepDrop.BAD_IPV4_HEADER, OuterHeaders.parse(pkt, h, true));
        pkt.setByte(l3, 0x65);
        assertEquals(VtepDrop.BAD_IPV4_HEADER, OuterHeaders.parse(pkt, h, true));
    }

    @Test
    void totalLengthBelowTheHeaderIsBadLength() {
        pkt = TestPackets.encapsulate(inner, false, false, 42, GeneveOptions.NONE, true);
        int l3 = pkt.readerIndex() + 14;
        pkt.setShort(l3 + 2, 19);
        pkt.setShort(l3 + 10, 0);
        pkt.setShort(l3 + 10, InternetChecksum.checksum(pkt, l3, 20));
        assertEquals(VtepDrop.BAD_IP_LENGTH, OuterHeaders.parse(pkt, h, true));
    }

    @Test
    void ipv6ExtensionHeadersAreSkipped() {
        pkt = datagram(TestPackets.V6_SRC, TestPackets.V6_DST);
        extension(pkt, Ipv6.NEXT_AUTHENTICATION, Udp.PROTOCOL, 24);
        extension(pkt, Ipv6.NEXT_FRAGMENT, Ipv6.NEXT_AUTHENTICATION, 8); // atomic: offset 0, M 0
        extension(pkt, Ipv6.NEXT_ROUTING, Ipv6.NEXT_FRAGMENT, 24);
        extension(pkt, Ipv6.NEXT_DESTINATION_OPTIONS, Ipv6.NEXT_ROUTING, 8);
        extension(pkt, Ipv6.NEXT_HOP_BY_HOP, Ipv6.NEXT_DESTINATION_OPTIONS, 16);
        Ipv6.prepend(pkt, TestPackets.V6_SRC, TestPackets.V6_DST, Ipv6.NEXT_HOP_BY_HOP, 7);
        ethernet(pkt, Ethernet.TYPE_IPV6);
        TestPackets.Decap d = decap();
        assertNull(d.drop);
        assertEquals(17, h.protocol);
        assertEquals(14 + 40 + 80, h.l4Offset - pkt.readerIndex());
        assertArrayEquals(inner, d.inner(pkt));
    }

    @Test
    void ipv6FragmentIsDropped() {
        pkt = datagram(TestPackets.V6_SRC, TestPackets.V6_DST);
        extension(pkt, Ipv6.NEXT_FRAGMENT, Udp.PROTOCOL, 8);
        pkt.setShort(pkt.readerIndex() + 2, 1); // M: more fragments follow
        Ipv6.prepend(pkt, TestPackets.V6_SRC, TestPackets.V6_DST, Ipv6.NEXT_FRAGMENT, 7);
        ethernet(pkt, Ethernet.TYPE_IPV6);
        assertEquals(VtepDrop.FRAGMENT, OuterHeaders.parse(pkt, h, true));
    }

    @Test
    void misplacedOrOverlongExtensionsAreBad() {
        pkt = datagram(TestPackets.V6_SRC, TestPackets.V6_DST);
        extension(pkt, Ipv6.NEXT_HOP_BY_HOP, Udp.PROTOCOL, 8);
        extension(pkt, Ipv6.NEXT_DESTINATION_OPTIONS, Ipv6.NEXT_HOP_BY_HOP, 8);
        Ipv6.prepend(pkt, TestPackets.V6_SRC, TestPackets.V6_DST, Ipv6.NEXT_DESTINATION_OPTIONS, 7);
        ethernet(pkt, Ethernet.TYPE_IPV6);
        assertEquals(VtepDrop.BAD_IPV6_EXTENSION, OuterHeaders.parse(pkt, h, true));

        ByteBuf p = datagram(TestPackets.V6_SRC, TestPackets.V6_DST);
        extension(p, Ipv6.NEXT_DESTINATION_OPTIONS, Udp.PROTOCOL, 8);
        p.setByte(p.readerIndex() + 1, 200); // 1608 bytes: past the payload
        Ipv6.prepend(p, TestPackets.V6_SRC, TestPackets.V6_DST, Ipv6.NEXT_DESTINATION_OPTIONS, 7);
        ethernet(p, Ethernet.TYPE_IPV6);
        assertEquals(VtepDrop.BAD_IPV6_EXTENSION, OuterHeaders.parse(p, h, true));
        p.release();
    }

    @Test
    void ipv6BadVersionAndZeroPayloadLengthAreDropped() {
        pkt = TestPackets.encapsulate(inner, true, false, 42, GeneveOptions.NONE, true);
        int l3 = pkt.readerIndex() + 14;
        pkt.setByte(l3, 0x40);
        assertEquals(VtepDrop.BAD_IPV6_HEADER, OuterHeaders.parse(pkt, h, true));
        pkt.setByte(l3, 0x60);
        pkt.setShort(l3 + 4, 0);
        assertEquals(VtepDrop.BAD_IP_LENGTH, OuterHeaders.parse(pkt, h, true));
    }

    @Test
    void qinqTagsAreSkippedAndTheOuterVlanRecorded() {
        pkt = TestPackets.encapsulate(inner, false, true, 42, GeneveOptions.NONE, false);
        Ethernet.insertVlanTag(pkt, 300); // customer tag
        Ethernet.insertVlanTag(pkt, 20); // then the service tag in front of it
        pkt.setShort(pkt.readerIndex() + 12, Ethernet.TYPE_QINQ);
        TestPackets.Decap d = decap();
        assertNull(d.drop);
        assertEquals(20, h.outerVlan);
        assertEquals(pkt.readerIndex() + 22, h.l3Offset);
        assertArrayEquals(inner, d.inner(pkt));
    }

    @Test
    void nonIpIsNotIpAndShortFramesAreTruncated() {
        pkt = Unpooled.wrappedBuffer(inner.clone());
        pkt.setShort(12, Ethernet.TYPE_ARP);
        assertEquals(VtepDrop.NOT_IP, OuterHeaders.parse(pkt, h, true));
        assertEquals(VtepDrop.TRUNCATED, OuterHeaders.parse(Unpooled.wrappedBuffer(inner, 0, 13),
                h, true));
    }

    @Test
    void espPayloadStartsRightAfterTheIpHeader() {
        pkt = TestPackets.withHeadroom(new byte[40]);
        ipv4(pkt, 5, Ipv4.DONT_FRAGMENT, Ipv4.PROTOCOL_ESP);
        ethernet(pkt, Ethernet.TYPE_IPV4);
        assertNull(OuterHeaders.parse(pkt, h, true));
        assertEquals(50, h.protocol);
        assertEquals(pkt.readerIndex() + 34, h.payloadOffset);
        assertEquals(40, h.payloadLength);
    }

    @Test
    void otherProtocolsAreNotDroppedButLeftToTheCaller() {
        pkt = TestPackets.withHeadroom(new byte[40]);
        Ipv6.prepend(pkt, TestPackets.V6_SRC, TestPackets.V6_DST, 6, 1);
        ethernet(pkt, Ethernet.TYPE_IPV6);
        assertNull(OuterHeaders.parse(pkt, h, true));
        assertEquals(6, h.protocol);
        assertEquals(40, h.payloadLength);
    }

    @Test
    void badUdpLengthsAreDropped() {
        pkt = TestPackets.encapsulate(inner, false, false, 42, GeneveOptions.NONE, false);
        int l4 = pkt.readerIndex() + 34;
        int udpLength = pkt.getUnsignedShort(l4 + 4);
        pkt.setShort(l4 + 4, udpLength + 1);
        assertEquals(VtepDrop.BAD_UDP_LENGTH, OuterHeaders.parse(pkt, h, true));
        pkt.setShort(l4 + 4, 7);
        assertEquals(VtepDrop.BAD_UDP_LENGTH, OuterHeaders.parse(pkt, h, true));
        // A shorter UDP length than the IP payload: the rest is not ours.
        pkt.setShort(l4 + 4, udpLength - 4);
        assertNull(OuterHeaders.parse(pkt, h, true));
        assertEquals(udpLength - 12, h.payloadLength);
    }

    @Test
    void addressesAreCopiedAndFormatted() {
        pkt = TestPackets.encapsulate(inner, true, false, 42, GeneveOptions.NONE, true);
        assertNull(OuterHeaders.parse(pkt, h, true));
        assertArrayEquals(TestPackets.V6_SRC, h.copySrcAddress(pkt, new byte[16]));
        assertArrayEquals(TestPackets.V6_DST, h.copyDstAddress(pkt, new byte[16]));
        assertEquals("2001:db8:0:0:0:0:0:1", h.formatSrcAddress(pkt));
        assertEquals("2001:db8:0:0:0:0:0:2", h.formatDstAddress(pkt));
        assertEquals(ByteBufUtil.hexDump(inner), ByteBufUtil.hexDump(pkt, h.payloadOffset + 8,
                h.payloadLength - 8));
    }
}
