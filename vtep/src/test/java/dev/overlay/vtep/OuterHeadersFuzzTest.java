package dev.overlay.vtep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Duration;

/**
 * Coverage-guided fuzzing (Jazzer) of the receive-side wire parsers on arbitrary bytes: outer
 * Ethernet / 802.1Q / IPv4 or IPv6 with extension headers / UDP, then the payload as VXLAN and as
 * Geneve with options, and the 802.1Q helpers on the frame. In a plain {@code mvn test} the
 * files under {@code OuterHeadersFuzzTestInputs/} replay as ordinary tests; with
 * {@code JAZZER_FUZZ=1} the method fuzzes (see FUZZING.md).
 *
 * <p>Input layout: byte 0 holds flags (bit 0: verify the UDP checksum; bits 1-3: how many bytes
 * of headroom sit before the frame, so absolute offsets are exercised), the rest is the frame.
 * The buffer's capacity ends exactly at the frame's end, so a read past the data the headers
 * vouch for throws instead of reading slack.
 */
class OuterHeadersFuzzTest {
    /** The one Geneve option this receiver understands (class 0x0102, critical type 0x81). */
    private static final Geneve.OptionFilter KNOWS_ONE = (c, t) -> c == 0x0102 && t == 0x81;

    private static final boolean FUZZING = System.getenv("JAZZER_FUZZ") != null;

    @FuzzTest(maxDuration = "20s")
    void outerHeadersThenVxlanOrGeneve(byte[] input) {
        if (FUZZING) {
            run(input); // libFuzzer's -timeout watches for hangs
        } else {
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> run(input));
        }
    }

    private static void run(byte[] input) {
        if (input.length == 0) {
            return;
        }
        int flags = input[0] & 0xFF;
        boolean verifyUdp = (flags & 1) != 0;
        int headroom = (flags >>> 1) & 0x7;
        int length = input.length - 1;
        if (headroom + length == 0) {
            check(Unpooled.EMPTY_BUFFER, verifyUdp); // a shared buffer without a reference count
            return;
        }
        ByteBuf pkt = Unpooled.buffer(headroom + length, headroom + length);
        try {
            pkt.writerIndex(headroom).readerIndex(headroom);
            pkt.writeBytes(input, 1, length);
            check(pkt, verifyUdp);
            assertEquals(1, pkt.refCnt(), "the parsers never retain or release the buffer");
        } finally {
            assertTrue(pkt.release());
        }
    }

    private static void check(ByteBuf pkt, boolean verifyUdp) {
        int reader = pkt.readerIndex();
        int writer = pkt.writerIndex();
        OuterHeaders h = new OuterHeaders();
        VtepDrop drop = OuterHeaders.parse(pkt, h, verifyUdp);
        assertEquals(reader, pkt.readerIndex(), "parse never moves the reader index");
        assertEquals(writer, pkt.writerIndex(), "parse never moves the writer index");
        checkVlanHelpers(pkt);
        if (drop != null) {
            return;
        }
        assertTrue(h.ipVersion == 4 || h.ipVersion == 6, h::toString);
        assertTrue(reader + Ethernet.HEADER_LENGTH <= h.l3Offset, h::toString);
        assertTrue(h.l3Offset < h.l4Offset && h.l4Offset <= h.payloadOffset, h::toString);
        assertTrue(h.payloadLength >= 0 && h.payloadEnd() <= writer, h::toString);
        assertTrue(h.dstAddressOffset + h.addressLength() <= h.l4Offset, h::toString);
        if (!h.isUdp()) {
            return;
        }
        assertEquals(h.l4Offset + Udp.HEADER_LENGTH, h.payloadOffset, h::toString);
        int at = h.payloadOffset;
        int n = h.payloadLength;
        if (Vxlan.check(pkt, at, n) == null) {
            assertTrue(n >= Vxlan.HEADER_LENGTH);
            assertTrue(Vxlan.vni(pkt, at) <= Vxlan.MAX_VNI);
        }
        VtepDrop geneve = Geneve.check(pkt, at, n, KNOWS_ONE);
        if (n >= Geneve.HEADER_LENGTH) {
            // Options are visited in place, each inside the option block, however the header ended.
            int blockEnd = at + Geneve.headerLength(pkt, at);
            Geneve.forEachOption(pkt, at, (c, t, b, dataOffset, dataLength) -> {
                assertTrue(dataOffset >= at + Geneve.HEADER_LENGTH + 4 && dataLength % 4 == 0);
                assertTrue(dataOffset + dataLength <= Math.min(blockEnd, writer));
            });
        }
        if (geneve == null) {
            int headerLength = Geneve.headerLength(pkt, at);
            assertTrue(headerLength <= n, "options inside the datagram");
            for (GeneveOption o : Geneve.options(pkt, at)) {
                assertTrue(!o.critical() || KNOWS_ONE.knows(o.optionClass(), o.type()), o::toString);
            }
        }
    }

    /** vlanOf and removeVlanTag on a copy: a tag is removed in place, 4 bytes shorter. */
    private static void checkVlanHelpers(ByteBuf pkt) {
        int vid = Ethernet.vlanOf(pkt);
        assertTrue(vid >= -1 && vid <= 0xFFF);
        ByteBuf copy = pkt.copy();
        try {
            int before = copy.readableBytes();
            Ethernet.removeVlanTag(copy);
            assertEquals(vid < 0 ? before : before - Ethernet.VLAN_TAG_LENGTH, copy.readableBytes());
        } finally {
            copy.release();
        }
    }
}
