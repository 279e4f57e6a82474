package dev.overlay.vtep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The third-party examples (tcpdump captures, scapy unit tests) in
 * vectors/geneve_vxlan_examples.json: each decodes to the fields listed, and where the bytes
 * are given our encoder reproduces them.
 */
class GeneveVxlanVectorsTest {
    private static final HexFormat HEX = HexFormat.of();

    private static List<JsonNode> examples() throws IOException {
        JsonNode root = new ObjectMapper()
                .readTree(Vectors.dir().resolve("geneve_vxlan_examples.json").toFile());
        List<JsonNode> list = new ArrayList<>();
        root.get("examples").forEach(list::add);
        assertEquals(16, list.size());
        return list;
    }

    /** The example's bytes as an Ethernet frame when it has one, else its raw bytes. */
    private static byte[] bytesOf(JsonNode e) throws IOException {
        if (e.has("frame_hex")) {
            return HEX.parseHex(e.get("frame_hex").asText());
        }
        if (e.has("bytes_hex")) {
            return HEX.parseHex(e.get("bytes_hex").asText());
        }
        String file = Path.of(e.get("source").get("path").asText()).getFileName().toString();
        List<byte[]> frames = Pcap.read(Vectors.dir().resolve("captures/tcpdump").resolve(file));
        byte[] frame = frames.get(e.get("source").get("frame").asInt() - 1);
        assertEquals(e.get("frame_len").asInt(), frame.length);
        return frame;
    }

    private static int hex(JsonNode n) {
        return Integer.parseInt(n.asText().substring(2), 16);
    }

    @TestFactory
    Stream<DynamicTest> everyExampleDecodesToItsListedFields() throws IOException {
        return examples().stream().map(e -> DynamicTest.dynamicTest(e.get("name").asText(),
                () -> decodes(e)));
    }

    private static void decodes(JsonNode e) throws IOException {
        byte[] bytes = bytesOf(e);
        int headerOffset = e.get("encap_header_offset").asInt();
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        try {
            if (e.has("udp_offset")) {
                // A whole frame: the outer parse must find the same header the dissectors found.
                OuterHeaders h = new OuterHeaders();
                // The GSO super-packets carry a partial (offloaded) checksum, which tshark also
                // reports as bad; parse them without verification and check that verification fails.
                boolean gso = e.get("name").asText().contains("gso");
                boolean partial = gso && hex(e.get("udp").get("checksum")) != 0;
                assertNull(OuterHeaders.parse(buf, h, !partial));
                if (partial) {
                    assertEquals(VtepDrop.BAD_UDP_CHECKSUM, OuterHeaders.parse(buf, h, true));
                    assertNull(OuterHeaders.parse(buf, h, false));
                }
                assertEquals(e.get("udp_offset").asInt(), h.l4Offset);
                assertEquals(headerOffset, h.payloadOffset);
                assertEquals(e.get("udp").get("sport").asInt(), h.srcPort);
                assertEquals(e.get("udp").get("dport").asInt(), h.dstPort);
                assertEquals(e.get("udp").get("length").asInt() - 8, h.payloadLength);
            }
            JsonNode d = e.get("decoded");
            int length = bytes.length - headerOffset;
            int headerLength = d.get("header_len").asInt();
            if (e.get("kind").asText().equals("vxlan")) {
                assertEquals(hex(d.get("flags")), Vxlan.flags(buf, headerOffset));
                assertEquals(d.get("vni").asInt(), Vxlan.vni(buf, headerOffset));
                assertEquals(hex(d.get("reserved_last")), buf.getUnsignedByte(headerOffset + 7));
                assertNull(Vxlan.check(buf, headerOffset, length));
                assertEquals(VtepDrop.TRUNCATED, Vxlan.check(buf, headerOffset, 7));
            } else {
                geneveFields(buf, headerOffset, length, d);
            }
            if (e.has("inner_first_bytes_hex")) {
                byte[] first = HEX.parseHex(e.get("inner_first_bytes_hex").asText());
                assertArrayEquals(first,
                        ByteBufUtil.getBytes(buf, headerOffset + headerLength, first.length));
            }
        } finally {
            buf.release();
        }
    }

    private static void geneveFields(ByteBuf buf, int at, int length, JsonNode d) {
        assertEquals(d.get("version").asInt(), Geneve.version(buf, at));
        assertEquals(d.get("header_len").asInt(), Geneve.headerLength(buf, at));
        assertEquals(d.get("opt_len_bytes").asInt() + 8, Geneve.headerLength(buf, at));
        assertEquals(d.get("oam").asBoolean(), Geneve.oam(buf, at));
        assertEquals(d.get("critical").asBoolean(), Geneve.critical(buf, at));
        assertEquals(hex(d.get("protocol_type")), Geneve.protocolType(buf, at));
        assertEquals(d.get("vni").asInt(), Geneve.vni(buf, at));

        List<GeneveOption> options = Geneve.options(buf, at);
        boolean malformed = false;
        boolean anyCritical = false;
        int optionAt = at + Geneve.HEADER_LENGTH;
        List<GeneveOption> wellFormed = new ArrayList<>();
        for (JsonNode o : d.get("options")) {
            int optionClass = hex(o.get("option_class"));
            int type = hex(o.get("type"));
            // The raw TLV header is there as listed, flagged or not.
            assertEquals(optionClass, buf.getUnsignedShort(optionAt));
            assertEquals(type, buf.getUnsignedByte(optionAt + 2));
            assertEquals(o.get("length_field").asInt(), buf.getUnsignedByte(optionAt + 3) & 0x1F);
            assertEquals(o.get("critical").asBoolean(), new GeneveOption(optionClass, type,
                    new byte[0]).critical());
            anyCritical |= o.get("critical").asBoolean();
            if (o.has("error")) {
                // Flagged by the file: the TLV overruns the option area; a strict parser must say so.
                malformed = true;
            } else {
                wellFormed.add(new GeneveOption(optionClass, type,
                        HEX.parseHex(o.get("data_hex").asText())));
            }
            optionAt += 4 + o.get("length_field").asInt() * 4;
        }
        assertEquals(wellFormed, options);

        Geneve.OptionFilter knowsAll = (c, t) -> true;
        boolean ethernet = hex(d.get("protocol_type")) == Ethernet.TYPE_TRANS_ETHER_BRIDGING;
        VtepDrop expected = malformed ? VtepDrop.GENEVE_BAD_OPTION_LENGTH
                : ethernet ? null : VtepDrop.GENEVE_BAD_PROTOCOL;
        assertEquals(expected, Geneve.check(buf, at, length, knowsAll));
        // RFC 8926 3.5: an unknown critical option drops the packet even when the header's C bit
        // is clear (the flagged scapy example clears it while its option is critical).
        VtepDrop unknown = malformed ? VtepDrop.GENEVE_BAD_OPTION_LENGTH
                : anyCritical ? VtepDrop.GENEVE_CRITICAL_OPTION : expected;
        assertEquals(unknown, Geneve.check(buf, at, length, Geneve.OptionFilter.NONE));
        int cut = Geneve.headerLength(buf, at) - 1;
        assertEquals(cut < Geneve.HEADER_LENGTH ? VtepDrop.TRUNCATED
                : VtepDrop.GENEVE_BAD_OPTION_LENGTH, Geneve.check(buf, at, cut, knowsAll));
    }

    /**
     * Where the example gives whole bytes of an Ethernet-carrying tunnel, rebuild the UDP
     * datagram with our encoder from the decoded fields and the inner bytes: UDP header (and
     * checksum when the original has one), VXLAN or Geneve header and options.
     */
    @TestFactory
    Stream<DynamicTest> ourEncoderReproducesTheExampleBytes() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode e : examples()) {
            JsonNode d = e.get("decoded");
            boolean geneve = e.get("kind").asText().equals("geneve");
            boolean flagged = e.has("note") || e.has("note_c_flag");
            boolean ethernet = !geneve || hex(d.get("protocol_type")) == 0x6558;
            boolean wholeDatagram = e.has("frame_hex") || (e.has("bytes_hex")
                    && e.get("bytes_hex").asText().startsWith("45"));
            if (flagged || !ethernet || !wholeDatagram) {
                continue;
            }
            tests.add(DynamicTest.dynamicTest(e.get("name").asText(), () -> reencodes(e, geneve)));
        }
        assertEquals(5, tests.size(), "tcpdump geneve x2 and vxlan x2, scapy geneve/ether");
        return tests.stream();
    }

    private static void reencodes(JsonNode e, boolean geneve) throws IOException {
        byte[] bytes = bytesOf(e);
        ByteBuf wire = Unpooled.wrappedBuffer(e.has("frame_hex") ? bytes : withEthernet(bytes));
        OuterHeaders h = new OuterHeaders();
        try {
            assertNull(OuterHeaders.parse(wire, h, true));
            int headerLength = e.get("decoded").get("header_len").asInt();
            byte[] inner = ByteBufUtil.getBytes(wire, h.payloadOffset + headerLength,
                    h.payloadLength - headerLength);
            ByteBuf ours = TestPackets.withHeadroom(inner);
            try {
                int vni = e.get("decoded").get("vni").asInt();
                if (geneve) {
                    Geneve.prepend(ours, vni, GeneveOptions.of(Geneve.options(wire, h.payloadOffset)),
                            false);
                } else {
                    Vxlan.prepend(ours, vni);
                }
                boolean checksum = wire.getUnsignedShort(h.l4Offset + 6) != 0;
                Udp.prepend(ours, h.srcPort, h.dstPort, h.copySrcAddress(wire, new byte[4]),
                        h.copyDstAddress(wire, new byte[4]), checksum);
                assertEquals(ByteBufUtil.hexDump(wire, h.l4Offset, h.payloadEnd() - h.l4Offset),
                        ByteBufUtil.hexDump(ours));
            } finally {
                ours.release();
            }
        } finally {
            wire.release();
        }
    }

    private static byte[] withEthernet(byte[] ipv4) {
        byte[] f = new byte[14 + ipv4.length];
        f[12] = 0x08;
        System.arraycopy(ipv4, 0, f, 14, ipv4.length);
        return f;
    }
}
