package dev.overlay.vtep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Encode then parse gives back what went in; and no byte string, truncation or corruption makes
 * the receive path throw: it answers null or a drop reason.
 */
class CodecPropertiesTest {
    private final OuterHeaders h = new OuterHeaders();

    @Provide
    Arbitrary<GeneveOption> option() {
        return Combinators.combine(Arbitraries.integers().between(0, 0xFFFF),
                        Arbitraries.integers().between(0, 0xFF),
                        Arbitraries.integers().between(0, 8).flatMap(words ->
                                Arbitraries.bytes().array(byte[].class).ofSize(words * 4)))
                .as(GeneveOption::new);
    }

    @Provide
    Arbitrary<List<GeneveOption>> options() {
        return option().list().ofMaxSize(6);
    }

    @Property(tries = 300)
    void encodeThenParseRoundTrips(@ForAll @IntRange(max = 0xFFFFFF) int vni,
            @ForAll("options") List<GeneveOption> options, @ForAll boolean ipv6,
            @ForAll boolean geneve, @ForAll boolean udpChecksum,
            @ForAll @IntRange(min = 14, max = 300) int innerLength) {
        byte[] inner = TestPackets.innerFrame(vni & 0xFFFF, vni >>> 8, 4000, innerLength);
        GeneveOptions opts = GeneveOptions.of(options);
        ByteBuf pkt = TestPackets.encapsulate(inner, ipv6, geneve, vni, opts, udpChecksum);
        try {
            // Every critical option we sent is one the receiver knows.
            TestPackets.Decap d = TestPackets.decapsulate(pkt, h, true, (c, t) -> true);
            assertNull(d.drop);
            assertEquals(ipv6 ? 6 : 4, h.ipVersion);
            assertEquals(-1, h.outerVlan);
            assertEquals(64, h.hopLimit);
            assertEquals(vni, d.vni);
            assertArrayEquals(inner, d.inner(pkt));
            assertTrue(h.srcAddressEquals(pkt, ipv6 ? TestPackets.V6_SRC : TestPackets.V4_SRC));
            assertTrue(h.dstAddressEquals(pkt, ipv6 ? TestPackets.V6_DST : TestPackets.V4_DST));
            int hash = FlowHash.hash(Unpooled.wrappedBuffer(inner), 0, inner.length);
            assertEquals(FlowHash.sourcePort(hash), h.srcPort);
            if (geneve) {
                assertEquals(options, Geneve.options(pkt, h.payloadOffset));
                assertEquals(opts.critical(), Geneve.critical(pkt, h.payloadOffset));
                boolean anyCritical = options.stream().anyMatch(GeneveOption::critical);
                assertEquals(anyCritical ? VtepDrop.GENEVE_CRITICAL_OPTION : null, Geneve.check(pkt,
                        h.payloadOffset, h.payloadLength, Geneve.OptionFilter.NONE));
            }
        } finally {
            pkt.release();
        }
    }

    /** Any capture shorter than the packet is reported as truncated, at every length. */
    @Property(tries = 40)
    void everyTruncationIsTruncatedNeverAnException(@ForAll boolean ipv6, @ForAll boolean geneve,
            @ForAll("options") List<GeneveOption> options) {
        byte[] inner = TestPackets.innerFrame(1, 2, 3, 20);
        ByteBuf pkt = TestPackets.encapsulate(inner, ipv6, geneve, 99, GeneveOptions.of(options),
                true);
        byte[] wire = ByteBufUtil.getBytes(pkt);
        pkt.release();
        for (int n = 0; n < wire.length; n++) {
            ByteBuf cut = Unpooled.wrappedBuffer(wire, 0, n);
            assertEquals(VtepDrop.TRUNCATED,
                    TestPackets.decapsulate(cut, h, true, (c, t) -> true).drop, "length " + n);
        }
    }

    /** Flip bytes anywhere in the outer headers: a result or a drop, never an exception. */
    @Property(tries = 2000)
    void corruptedHeadersGiveAResultOrADrop(@ForAll boolean ipv6, @ForAll boolean geneve,
            @ForAll("options") List<GeneveOption> options,
            @ForAll @Size(min = 1, max = 6) List<@IntRange(max = 400) Integer> positions,
            @ForAll @Size(min = 6, max = 6) byte[] values, @ForAll boolean verify) {
        byte[] inner = TestPackets.innerFrame(1, 2, 3, 20);
        ByteBuf pkt = TestPackets.encapsulate(inner, ipv6, geneve, 99, GeneveOptions.of(options),
                true);
        try {
            int headers = pkt.readableBytes() - inner.length;
            for (int i = 0; i < positions.size(); i++) {
                pkt.setByte(pkt.readerIndex() + positions.get(i) % headers, values[i]);
            }
            receiveAnything(pkt, verify);
        } finally {
            pkt.release();
        }
    }

    @Property(tries = 3000)
    void randomBytesNeverThrow(@ForAll @Size(max = 200) byte[] bytes, @ForAll boolean verify,
            @ForAll boolean ipv6Type) {
        // Bias toward IP: stamp an IP ethertype on half of the inputs.
        if (bytes.length >= 14) {
            bytes[12] = (byte) (ipv6Type ? 0x86 : 0x08);
            bytes[13] = (byte) (ipv6Type ? 0xDD : 0x00);
        }
        receiveAnything(Unpooled.wrappedBuffer(bytes), verify);
    }

    /** A random datagram body: VXLAN and Geneve checks and option walks never throw. */
    @Property(tries = 3000)
    void randomTunnelHeadersNeverThrow(@ForAll @Size(max = 300) byte[] bytes) {
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        Vxlan.check(buf, 0, bytes.length);
        VtepDrop drop = Geneve.check(buf, 0, bytes.length, (c, t) -> (t & 1) == 0);
        if (bytes.length >= Geneve.HEADER_LENGTH) {
            Geneve.options(buf, 0);
            if (drop == null) {
                assertTrue(Geneve.headerLength(buf, 0) <= bytes.length);
            }
        }
        FlowHash.hash(buf, 0, bytes.length);
    }

    private void receiveAnything(ByteBuf pkt, boolean verify) {
        TestPackets.Decap d = TestPackets.decapsulate(pkt, h, verify, (c, t) -> true);
        if (d.drop == null && d.overlay) {
            assertTrue(d.innerOffset >= pkt.readerIndex());
            assertTrue(d.innerOffset + d.innerLength <= pkt.writerIndex());
            assertTrue(d.innerLength >= 0);
            Geneve.options(pkt, h.payloadOffset);
            FlowHash.hash(pkt, d.innerOffset, d.innerLength);
        }
        if (d.drop == null) {
            assertTrue(h.payloadEnd() <= pkt.writerIndex());
            h.formatSrcAddress(pkt);
        }
    }
}
