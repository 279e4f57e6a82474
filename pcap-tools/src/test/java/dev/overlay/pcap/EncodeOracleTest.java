package dev.overlay.pcap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pcap encode} judged by tshark's VXLAN and Geneve dissectors and by scapy: the VNIs,
 * options, ports, addresses, checksums and timestamps tshark reads, and the inner frames scapy
 * finds behind the overlay header, byte for byte against the input frames.
 */
class EncodeOracleTest {
    private static final List<String> CHECKSUMS =
            List.of("-o", "udp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE");
    private static final String[] FIELDS = {"frame.time_epoch", "vxlan.vni", "geneve.vni", "geneve.option.class",
        "geneve.option.type", "udp.srcport", "udp.dstport", "ip.dst", "ipv6.dst", "udp.checksum.status",
        "ip.checksum.status", "eth.src", "eth.dst", "ip.src", "tcp.srcport", "tcp.dstport"};
    /** Wireshark's checksum statuses (epan/proto.h PROTO_CHECKSUM_E_*). */
    private static final String GOOD = "1";
    private static final String NOT_PRESENT = "3";
    /** Outer destination MACs: configured, or for gw-d derived from its address (02:00 + 192.0.2.4). */
    private static final Map<String, String> PEER_MACS = Map.of("192.0.2.2", "02:00:00:00:0b:01",
            "192.0.2.3", "02:00:00:00:0c:01", "192.0.2.4", "02:00:c0:00:02:04");

    @TempDir
    Path tmp;

    /** One wire packet the config says the encoder must send for an input frame. */
    record Expected(byte[] inner, String peer, boolean geneve, int vni, String timestamp) {}

    /** cleartext-v4.yaml: blue floods to gw-c then gw-b except 02:00:00:00:01:02 (static: gw-b); red floods to gw-b, gw-d. */
    private static List<Expected> expectedV4(List<byte[]> input, List<String> times) {
        List<Expected> out = new ArrayList<>();
        for (int i = 0; i < input.size(); i++) {
            byte[] frame = input.get(i);
            int vid = vlanOf(frame);
            if (vid == 101) {
                byte[] inner = untag(frame);
                boolean known = Arrays.equals(Arrays.copyOf(inner, 6), mac("02:00:00:00:01:02"));
                for (String peer : known ? List.of("192.0.2.2") : List.of("192.0.2.3", "192.0.2.2")) {
                    out.add(new Expected(inner, peer, false, 1001, times.get(i)));
                }
            } else if (vid == 102) {
                for (String peer : List.of("192.0.2.2", "192.0.2.4")) {
                    out.add(new Expected(untag(frame), peer, true, 1002, times.get(i)));
                }
            }
        }
        return out;
    }

    @Test
    void trunkOverIpv4DissectsAsVxlanAndGeneveWithTheInputFramesInside() {
        Path in = OracleTools.testPcap("tenants-trunk.pcapng");
        Path out = tmp.resolve("wire.pcap");
        InProcessCli run = InProcessCli.run("pcap", "encode", "--config", OracleTools.resource("cleartext-v4.yaml").toString(),
                "--in", in.toString(), "--out", out.toString());
        assertEquals(0, run.status(), run::toString);

        List<byte[]> input = OracleTools.scapyFrames(in);
        List<String> inputTimes = OracleTools.tsharkFields(in, List.of(), "frame.time_epoch").stream().map(f -> f[0]).toList();
        List<Expected> expected = expectedV4(input, inputTimes);
        List<String[]> rows = OracleTools.tsharkFields(out, CHECKSUMS, FIELDS);
        List<byte[]> inner = OracleTools.scapyInnerFrames(out);
        assertEquals(expected.size(), rows.size());
        assertEquals("packets in 34, out " + expected.size() + ", dropped 2 (no-tenant=2)", run.summary());

        Map<String, String> portOfFlow = new HashMap<>();
        Set<String> ports = new HashSet<>();
        for (int i = 0; i < rows.size(); i++) {
            Expected e = expected.get(i);
            Map<String, List<String>> f = fields(rows.get(i));
            String at = "wire packet " + (i + 1);
            assertEquals(e.timestamp(), first(f, "frame.time_epoch"), at);
            assertEquals(e.peer(), first(f, "ip.dst"), at);
            assertEquals("192.0.2.1", first(f, "ip.src"), at);
            assertEquals("02:00:00:00:0a:01", first(f, "eth.src"), at);
            assertEquals(PEER_MACS.get(e.peer()), first(f, "eth.dst"), at);
            if (e.geneve()) {
                assertEquals("0x" + String.format("%06x", e.vni()), first(f, "geneve.vni"), at);
                assertEquals(List.of("0x0102", "0x0103"), f.get("geneve.option.class"), at);
                assertEquals(List.of("0x01", "0x02"), f.get("geneve.option.type"), at);
                assertEquals("6081", first(f, "udp.dstport"), at);
            } else {
                assertEquals(String.valueOf(e.vni()), first(f, "vxlan.vni"), at);
                assertEquals(List.of(), f.get("geneve.vni"), at);
                assertEquals("4789", first(f, "udp.dstport"), at);
            }
            // Outer IPv4 header checksum verified; the overlay UDP checksum is zero over IPv4
            // (RFC 7348 section 5), which tshark reports as not present, and every inner UDP
            // checksum still verifies.
            assertEquals(GOOD, first(f, "ip.checksum.status"), at);
            assertTrue(f.get("ip.checksum.status").stream().allMatch(GOOD::equals), at);
            assertEquals(NOT_PRESENT, first(f, "udp.checksum.status"), at);
            assertTrue(f.get("udp.checksum.status").stream().skip(1).allMatch(GOOD::equals), at);

            int port = Integer.parseInt(first(f, "udp.srcport"));
            assertTrue(port >= 49152 && port <= 65535, at + ": source port " + port + " outside 49152..65535");
            ports.add(String.valueOf(port));
            // The inner flow: MACs, then everything tshark reads past the outer IP and UDP headers.
            String flow = String.join("|", HexFormat.of().formatHex(e.inner(), 0, 12),
                    inner(f, "ip.src"), inner(f, "ip.dst"), inner(f, "udp.srcport"), inner(f, "udp.dstport"),
                    String.valueOf(f.get("tcp.srcport")), String.valueOf(f.get("tcp.dstport")));
            String seen = portOfFlow.putIfAbsent(flow, String.valueOf(port));
            if (seen != null) {
                assertEquals(seen, String.valueOf(port), at + ": one inner flow, one source port");
            }
            assertArrayEquals(e.inner(), inner.get(i), at + ": inner frame as scapy dissects it");
        }
        assertTrue(ports.size() >= 4, "source ports spread over flows: " + ports);
    }

    @Test
    void trunkOverIpv6CarriesAVerifiedUdpChecksum() {
        Path in = OracleTools.testPcap("tenants-trunk.pcapng");
        Path out = tmp.resolve("wire6.pcap");
        InProcessCli run = InProcessCli.run("pcap", "encode", "--config", OracleTools.resource("cleartext-v6.yaml").toString(),
                "--in", in.toString(), "--out", out.toString());
        assertEquals(0, run.status(), run::toString);
        assertEquals("packets in 34, out 32, dropped 2 (no-tenant=2)", run.summary());

        List<byte[]> tenantFrames = OracleTools.scapyFrames(in).stream()
                .filter(f -> vlanOf(f) == 101 || vlanOf(f) == 102).toList();
        List<String[]> rows = OracleTools.tsharkFields(out, CHECKSUMS, FIELDS);
        List<byte[]> inner = OracleTools.scapyInnerFrames(out);
        assertEquals(32, rows.size());
        for (int i = 0; i < rows.size(); i++) {
            Map<String, List<String>> f = fields(rows.get(i));
            String at = "wire packet " + (i + 1);
            assertEquals("2001:db8::2", first(f, "ipv6.dst"), at);
            // RFC 8200 section 8.1: over IPv6 the UDP checksum is mandatory; tshark recomputes it.
            assertEquals(GOOD, first(f, "udp.checksum.status"), at);
            if (vlanOf(tenantFrames.get(i)) == 102) {
                assertEquals("0x0003ea", first(f, "geneve.vni"), at);
                assertEquals(List.of("0x0102"), f.get("geneve.option.class"), at);
            } else {
                assertEquals("1001", first(f, "vxlan.vni"), at);
            }
            int port = Integer.parseInt(first(f, "udp.srcport"));
            assertTrue(port >= 49152 && port <= 65535, at + ": source port " + port);
            assertArrayEquals(untag(tenantFrames.get(i)), inner.get(i), at);
        }
    }

    @Test
    void timestampsAndTheirPrecisionAreCarriedFromInputToOutput() throws IOException {
        for (String name : List.of("tenant-blue.pcap", "tenant-blue-nsec.pcap", "tenants-trunk.pcapng")) {
            Path in = OracleTools.testPcap(name);
            Path out = tmp.resolve(name + ".out.pcap");
            InProcessCli run = InProcessCli.run("pcap", "encode", "--config", OracleTools.resource("cleartext-v6.yaml").toString(),
                    "--in", in.toString(), "--out", out.toString(), "--tenant", "blue");
            assertEquals(0, run.status(), run::toString);
            List<String> inTimes = OracleTools.tsharkFields(in, List.of(), "frame.time_epoch").stream().map(f -> f[0]).toList();
            List<String> outTimes = OracleTools.tsharkFields(out, List.of(), "frame.time_epoch").stream().map(f -> f[0]).toList();
            assertEquals(inTimes, outTimes, name);
            // pcap magic: 0xa1b2c3d4 microseconds, 0xa1b23c4d nanoseconds (either byte order).
            int magic = ByteBuffer.wrap(Files.readAllBytes(out), 0, 4).getInt();
            boolean nanos = magic == 0xa1b23c4d || magic == 0x4d3cb2a1;
            assertEquals(!name.equals("tenant-blue.pcap"), nanos, name + ": magic " + Integer.toHexString(magic));
        }
        // The trunk's timestamps have digits below the microsecond: they must survive.
        List<String> trunk = OracleTools.tsharkFields(tmp.resolve("tenants-trunk.pcapng.out.pcap"), List.of(),
                "frame.time_epoch").stream().map(f -> f[0]).toList();
        assertEquals("1767225600.000500123", trunk.get(1));
    }

    static int vlanOf(byte[] frame) {
        return frame.length >= 18 && (frame[12] & 0xFF) == 0x81 && frame[13] == 0
                ? ((frame[14] & 0x0F) << 8) | (frame[15] & 0xFF) : -1;
    }

    /** The frame without its 802.1Q tag (bytes 12..15). */
    static byte[] untag(byte[] frame) {
        byte[] out = new byte[frame.length - 4];
        System.arraycopy(frame, 0, out, 0, 12);
        System.arraycopy(frame, 16, out, 12, frame.length - 16);
        return out;
    }

    static byte[] mac(String text) {
        return HexFormat.ofDelimiter(":").parseHex(text);
    }

    private static Map<String, List<String>> fields(String[] row) {
        Map<String, List<String>> out = new HashMap<>();
        for (int i = 0; i < FIELDS.length; i++) {
            out.put(FIELDS[i], row[i].isEmpty() ? List.of() : List.of(row[i].split(",")));
        }
        return out;
    }

    private static String first(Map<String, List<String>> fields, String name) {
        List<String> values = fields.get(name);
        return values.isEmpty() ? "" : values.get(0);
    }

    /** The occurrences of a field after the outer header's. */
    private static String inner(Map<String, List<String>> fields, String name) {
        List<String> values = fields.get(name);
        return String.valueOf(values.subList(Math.min(1, values.size()), values.size()));
    }
}
