package dev.overlay.vtep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.HexFormat;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class UdpChecksumTest {
    private final OuterHeaders h = new OuterHeaders();

    /** RFC 1071 section 3's worked example: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2. */
    @Test
    void rfc1071ExampleSumsToDdf2() {
        ByteBuf b = Unpooled.wrappedBuffer(HexFormat.of().parseHex("0001f203f4f5f6f7"));
        assertEquals(0xDDF2, InternetChecksum.fold(InternetChecksum.partial(b, 0, 8)));
        assertEquals(0x220D, InternetChecksum.checksum(b, 0, 8));
    }

    /** The word-at-a-time sum equals the plain 16-bit definition at every offset and length. */
    @Property
    void wideSumEqualsTheSixteenBitDefinition(@ForAll @Size(max = 300) byte[] data,
            @ForAll @IntRange(max = 7) int skip) {
        int offset = Math.min(skip, data.length);
        int length = data.length - offset;
        long naive = 0;
        for (int i = 0; i < length; i += 2) {
            int hi = data[offset + i] & 0xFF;
            int lo = i + 1 < length ? data[offset + i + 1] & 0xFF : 0;
            naive += (hi << 8) | lo;
        }
        while ((naive >>> 16) != 0) {
            naive = (naive & 0xFFFF) + (naive >>> 16);
        }
        ByteBuf b = Unpooled.wrappedBuffer(data);
        assertEquals(naive, InternetChecksum.fold(InternetChecksum.partial(b, offset, length)));
    }

    @Test
    void ipv6ChecksumIsAlwaysComputedAndVerifies() {
        ByteBuf pkt = TestPackets.encapsulate(new byte[60], true, false, 5, GeneveOptions.NONE, false);
        try {
            assertNull(OuterHeaders.parse(pkt, h, true));
            int checksum = pkt.getUnsignedShort(h.l4Offset + 6);
            assertEquals(true, checksum != 0);
            pkt.setShort(h.l4Offset + 6, checksum ^ 0x0100);
            assertEquals(VtepDrop.BAD_UDP_CHECKSUM, OuterHeaders.parse(pkt, h, true));
            assertNull(OuterHeaders.parse(pkt, h, false));
        } finally {
            pkt.release();
        }
    }

    @Test
    void ipv6ZeroChecksumIsDroppedUnlessVerificationIsOff() {
        ByteBuf pkt = TestPackets.encapsulate(new byte[60], true, false, 5, GeneveOptions.NONE, true);
        try {
            assertNull(OuterHeaders.parse(pkt, h, true));
            pkt.setShort(h.l4Offset + 6, 0);
            assertEquals(VtepDrop.UDP_ZERO_CHECKSUM, OuterHeaders.parse(pkt, h, true));
            assertNull(OuterHeaders.parse(pkt, h, false));
        } finally {
            pkt.release();
        }
    }

    @Test
    void ipv4ZeroChecksumMeansNoneAndIsAccepted() {
        ByteBuf pkt = TestPackets.encapsulate(new byte[60], false, false, 5, GeneveOptions.NONE, false);
        try {
            assertNull(OuterHeaders.parse(pkt, h, true));
            assertEquals(0, pkt.getUnsignedShort(h.l4Offset + 6));
        } finally {
            pkt.release();
        }
    }

    @Test
    void ipv4ComputedChecksumVerifiesAndCorruptionIsCaught() {
        ByteBuf pkt = TestPackets.encapsulate(new byte[61], false, true, 5, GeneveOptions.NONE, true);
        try {
            assertNull(OuterHeaders.parse(pkt, h, true));
            int last = pkt.writerIndex() - 1;
            pkt.setByte(last, pkt.getByte(last) ^ 0x40);
            assertEquals(VtepDrop.BAD_UDP_CHECKSUM, OuterHeaders.parse(pkt, h, true));
        } finally {
            pkt.release();
        }
    }

    @Test
    void computedZeroIsSentAsAllOnes() {
        ByteBuf pkt = Unpooled.wrappedBuffer(ipv6DatagramWithComputedZeroChecksum());
        try {
            assertNull(OuterHeaders.parse(pkt, h, true));
            assertEquals(0xFFFF, pkt.getUnsignedShort(h.l4Offset + 6));
        } finally {
            pkt.release();
        }
    }

    @Test
    void mismatchedAddressFamiliesAreRefused() {
        ByteBuf pkt = TestPackets.withHeadroom(new byte[8]);
        try {
            assertThrows(IllegalArgumentException.class,
                    () -> Udp.prepend(pkt, 1, 2, TestPackets.V4_SRC, TestPackets.V6_DST, true));
        } finally {
            pkt.release();
        }
    }

    /**
     * A VXLAN-over-IPv6 frame whose last payload word is chosen so the UDP checksum computes to
     * zero: with that word zero the checksum is c; putting c there brings the sum to 0xFFFF.
     */
    static byte[] ipv6DatagramWithComputedZeroChecksum() {
        // A non-IP inner frame (local experimental ethertype 0x88B5): the adjusted word breaks no
        // inner checksum. Its last word is zero while probing.
        byte[] inner = new byte[14 + 32];
        inner[0] = 0x02;
        inner[6] = 0x02;
        inner[11] = 0x03;
        inner[12] = (byte) 0x88;
        inner[13] = (byte) 0xB5;
        ByteBuf probe = TestPackets.withHeadroom(inner);
        int fix;
        try {
            Vxlan.prepend(probe, 4242);
            Udp.prepend(probe, 50000, Vxlan.DEFAULT_PORT, TestPackets.V6_SRC, TestPackets.V6_DST, true);
            fix = probe.getUnsignedShort(probe.readerIndex() + 6);
        } finally {
            probe.release();
        }
        inner[inner.length - 2] = (byte) (fix >>> 8);
        inner[inner.length - 1] = (byte) fix;
        ByteBuf buf = TestPackets.withHeadroom(inner);
        try {
            Vxlan.prepend(buf, 4242);
            Udp.prepend(buf, 50000, Vxlan.DEFAULT_PORT, TestPackets.V6_SRC, TestPackets.V6_DST, true);
            Ipv6.prepend(buf, TestPackets.V6_SRC, TestPackets.V6_DST, Udp.PROTOCOL, 1);
            Ethernet.prepend(buf, TestPackets.OUTER_DST_MAC, TestPackets.OUTER_SRC_MAC,
                    Ethernet.TYPE_IPV6);
            return ByteBufUtil.getBytes(buf);
        } finally {
            buf.release();
        }
    }
}
