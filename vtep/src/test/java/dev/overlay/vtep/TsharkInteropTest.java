package dev.overlay.vtep;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Wireshark's dissectors judge our encoder: checksums verified by tshark itself, VNIs, options,
 * flags, ports and flow labels read back from the capture we write.
 */
class TsharkInteropTest {
    private static final String[] FIELDS = {
            "ip.checksum.status", "udp.checksum.status", "udp.srcport", "udp.dstport", "vxlan.vni",
            "geneve.vni", "geneve.option.class", "geneve.option.type", "geneve.flags.critical",
            "geneve.flags.oam", "geneve.proto_type", "ipv6.flow", "ip.flags.df", "ip.ttl", "ipv6.hlim",
            "udp.checksum", "eth.src"};

    private static final GeneveOption OVN =
            new GeneveOption(0x0102, 0x01, HexFormat.of().parseHex("0000000a"));
    private static final GeneveOption CRITICAL =
            new GeneveOption(0xFFFF, 0x80, HexFormat.of().parseHex("0102030405060708"));

    @TempDir
    Path dir;

    private record Built(byte[] bytes, int sourcePort, int flowLabel) {}

    private static Built build(byte[] inner, boolean ipv6, boolean geneve, int vni,
            GeneveOptions options, boolean checksum) {
        ByteBuf buf = TestPackets.encapsulate(inner, ipv6, geneve, vni, options, checksum);
        try {
            int hash = FlowHash.hash(buf, buf.writerIndex() - inner.length, inner.length);
            return new Built(ByteBufUtil.getBytes(buf), FlowHash.sourcePort(hash),
                    FlowHash.ipv6FlowLabel(hash));
        } finally {
            buf.release();
        }
    }

    @Test
    void tsharkDissectsOurTunnelsWithGoodChecksums() throws Exception {
        byte[] inner = TestPackets.innerFrame(7, 1000, 2000, 64);
        List<Built> built = new ArrayList<>();
        built.add(build(inner, false, false, 1001, GeneveOptions.NONE, false));
        built.add(build(inner, false, false, 1002, GeneveOptions.NONE, true));
        built.add(build(inner, true, false, 0xFFFFFF, GeneveOptions.NONE, false));
        built.add(build(inner, false, true, 2001, GeneveOptions.of(List.of(OVN)), true));
        built.add(build(inner, true, true, 2002, GeneveOptions.of(List.of(OVN, CRITICAL)), true));
        Path pcap = dir.resolve("tunnels.pcap");
        Pcap.write(pcap, built.stream().map(Built::bytes).toList());

        List<List<String>> rows = ExternalTools.tsharkFields(pcap, FIELDS);
        assertEquals(5, rows.size());
        // Inner frame: IPv4/UDP (DF set, TTL 64) with good IPv4 and UDP checksums of its own.
        String innerMac = "02:00:00:00:00:07";
        // status: 1 good, 3 not present; outer first, then the inner datagram.
        expect(rows.get(0), "1,1", "3,1", built.get(0).sourcePort + ",1000", "4789,2000", "1001",
                "", "", "", "", "", "", "", "1,1", "64,64", "", null, innerMac);
        assertEquals(true, rows.get(0).get(15).startsWith("0x0000,"), "no outer checksum");
        expect(rows.get(1), "1,1", "1,1", built.get(1).sourcePort + ",1000", "4789,2000", "1002",
                "", "", "", "", "", "", "", "1,1", "64,64", "", null, innerMac);
        // IPv6 outer: no IPv4 checksum but the inner one; the UDP checksum is mandatory.
        expect(rows.get(2), "1", "1,1", built.get(2).sourcePort + ",1000", "4789,2000", "16777215",
                "", "", "", "", "", "", String.format("0x%06x", built.get(2).flowLabel), "1", "64",
                "64", null, innerMac);
        expect(rows.get(3), "1,1", "1,1", built.get(3).sourcePort + ",1000", "6081,2000", "",
                "0x0007d1", "0x0102", "0x01", "0", "0", "0x6558", "", "1,1", "64,64", "", null,
                innerMac);
        expect(rows.get(4), "1", "1,1", built.get(4).sourcePort + ",1000", "6081,2000", "",
                "0x0007d2", "0x0102,0xffff", "0x01,0x80", "1", "0", "0x6558",
                String.format("0x%06x", built.get(4).flowLabel), "1", "64", "64", null, innerMac);
    }

    /** {@code null} skips a column; eth.src must contain the inner MAC. */
    private static void expect(List<String> row, String... expected) {
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] == null) {
                continue;
            }
            if (FIELDS[i].equals("eth.src")) {
                assertEquals(true, row.get(i).contains(expected[i]), row.toString());
            } else {
                assertEquals(expected[i], row.get(i), FIELDS[i] + " in " + row);
            }
        }
    }

    /** A datagram whose checksum computes to 0 is sent as 0xFFFF, and tshark agrees it is good. */
    @Test
    void computedZeroUdpChecksumIsSentAsAllOnesAndTsharkAcceptsIt() throws Exception {
        byte[] frame = UdpChecksumTest.ipv6DatagramWithComputedZeroChecksum();
        Path pcap = dir.resolve("zero.pcap");
        Pcap.write(pcap, List.of(frame));
        List<List<String>> rows =
                ExternalTools.tsharkFields(pcap, "udp.checksum", "udp.checksum.status", "vxlan.vni");
        assertEquals(List.of("0xffff", "1", "4242"), rows.get(0).subList(0, 3));
    }
}
