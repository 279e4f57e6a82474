package dev.overlay.pcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pcap decode} of tcpdump's own VXLAN and Geneve test captures (../shared/vectors/captures/
 * tcpdump, made by other implementations: Linux, OVS, GCP), judged by the {@code .out} file
 * tcpdump's test suite keeps beside each: the inner frames it dissects (count, length, MACs, IP
 * addresses) must be the frames decode writes, as tshark reads them back.
 */
class TcpdumpCapturesTest {
    /** A packet's first line in a .out file: its number, then the date. */
    private static final Pattern PACKET = Pattern.compile("(?m)^\\s+\\d+\\s+\\d{4}-\\d\\d-\\d\\d ");
    /** tcpdump -e: "SRC > DST, ethertype IPv4 (0x0800), length N: rest". */
    private static final Pattern ETHERNET =
            Pattern.compile("([0-9a-f:]{17}) > ([0-9a-f:]{17}), ethertype (\\S+) \\(0x[0-9a-f]{4}\\), length (\\d+): ");
    /** tcpdump -v: "IP (... length N)" or "IP6 (... payload length N)". */
    private static final Pattern IP_HEADER = Pattern.compile("\\b(IP6?) \\((?:[^()]|\\([^()]*\\))*?length (\\d+)\\)");
    private static final Pattern ADDRESSES = Pattern.compile("([0-9a-f.:]+) > ([0-9a-f.:]+):");

    @TempDir
    Path tmp;

    /** An inner frame as tcpdump printed it; null fields were not printed. */
    record Inner(int length, String srcMac, String dstMac, String srcIp, String dstIp, String block) {}

    @Test
    void vxlanDecodesToTheFramesTcpdumpDissects() throws IOException {
        assertDecodes("vxlan.pcap", "vxlan.out", "tcpdump-vxlan.yaml", "");
    }

    @Test
    void vxlanOnPort8472DecodesWithThatPortConfigured() throws IOException {
        assertDecodes("vxlan_port_8472.pcap", "vxlan_port_8472.out", "tcpdump-vxlan-8472.yaml", "");
        // The same packets are not overlay traffic to a gateway that listens on 4789.
        InProcessCli run = decode("vxlan_port_8472.pcap", "tcpdump-vxlan.yaml");
        assertEquals("packets in 10, out 0, dropped 10 (not-overlay=10)", run.summary());
    }

    @Test
    void gsoSuperPacketsDecodeToTheirInnerFrames() throws IOException {
        assertDecodes("gso-ipv4-vxlan-ipv4.pcap", "gso-ipv4-vxlan-ipv4.out", "tcpdump-vxlan.yaml", "");
        assertDecodes("gso-ipv6-vxlan-ipv6.pcap", "gso-ipv6-vxlan-ipv6.out", "tcpdump-vxlan.yaml", "");
        assertDecodes("gso-ipv4-geneve-ipv6.pcap", "gso-ipv4-geneve-ipv6.out", "tcpdump-geneve-5001.yaml", "");
        assertDecodes("gso-ipv6-geneve-ipv6.pcap", "gso-ipv6-geneve-ipv6.out", "tcpdump-geneve-5001.yaml", "");
    }

    @Test
    void geneveCriticalOptionIsDroppedAndCounted() throws IOException {
        // VNI 0xa carries a critical option (class 0, type 0x80) no tenant knows: RFC 8926
        // section 3.5 says drop. VNI 0xb carries none and decodes.
        assertDecodes("geneve.pcap", "geneve-vv.out", "tcpdump-vxlan.yaml", "Flags [C]");
    }

    @Test
    void geneveCarryingIpv4InsteadOfEthernetIsDroppedAndCounted() {
        List<String[]> proto = OracleTools.tsharkFields(OracleTools.tcpdumpCapture("geneve-gcp.pcap"), List.of(),
                "geneve.proto_type");
        assertEquals("0x0800", proto.get(0)[0], "GCP's Geneve carries IPv4 without an Ethernet header");
        InProcessCli run = decode("geneve-gcp.pcap", "tcpdump-vxlan.yaml");
        assertEquals(0, run.status(), run::toString);
        assertEquals("packets in 1, out 0, dropped 1 (geneve-bad-protocol=1)", run.summary());
    }

    /**
     * Decodes {@code capture} and checks its output against {@code out}: packets whose .out block
     * contains {@code droppedMark} (when not empty) are expected as geneve-critical-option drops.
     */
    private void assertDecodes(String capture, String out, String config, String droppedMark) throws IOException {
        List<Inner> all = parse(Files.readString(OracleTools.tcpdumpCapture(out)));
        List<Inner> kept = all.stream().filter(i -> droppedMark.isEmpty() || !i.block().contains(droppedMark)).toList();
        int dropped = all.size() - kept.size();
        assertTrue(kept.size() > 0, out + ": nothing to decode");
        InProcessCli run = decode(capture, config);
        assertEquals(0, run.status(), run::toString);
        assertEquals("packets in " + all.size() + ", out " + kept.size() + ", dropped " + dropped
                + (dropped == 0 ? "" : " (geneve-critical-option=" + dropped + ")"), run.summary(), capture);

        List<String[]> rows = OracleTools.tsharkFields(tmp.resolve(capture), List.of(), "frame.len", "eth.src",
                "eth.dst", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst");
        assertEquals(kept.size(), rows.size(), capture);
        for (int i = 0; i < kept.size(); i++) {
            Inner e = kept.get(i);
            String[] f = rows.get(i);
            String at = capture + " frame " + (i + 1);
            assertEquals(String.valueOf(e.length()), f[0], at + ": length");
            if (e.srcMac() != null) {
                assertEquals(e.srcMac(), f[1], at);
                assertEquals(e.dstMac(), f[2], at);
            }
            if (e.srcIp() != null) {
                boolean v6 = e.srcIp().contains(":");
                assertEquals(e.srcIp(), v6 ? f[5] : f[3], at);
                assertEquals(e.dstIp(), v6 ? f[6] : f[4], at);
            }
        }
    }

    private InProcessCli decode(String capture, String config) {
        return InProcessCli.run("pcap", "decode", "--config", OracleTools.resource(config).toString(),
                "--in", OracleTools.tcpdumpCapture(capture).toString(), "--out", tmp.resolve(capture).toString());
    }

    /** The inner frame of each packet of a .out file: the last Ethernet or IP header tcpdump printed. */
    static List<Inner> parse(String text) {
        List<Integer> starts = new ArrayList<>();
        Matcher m = PACKET.matcher(text);
        while (m.find()) {
            starts.add(m.start());
        }
        List<Inner> out = new ArrayList<>();
        for (int i = 0; i < starts.size(); i++) {
            String block = text.substring(starts.get(i), i + 1 < starts.size() ? starts.get(i + 1) : text.length());
            out.add(inner(block));
        }
        return out;
    }

    private static Inner inner(String block) {
        Matcher last = ETHERNET.matcher(block);
        int lastStart = -1;
        while (last.find()) {
            lastStart = last.start();
        }
        if (lastStart >= 0 && last.find(lastStart)) {
            // tcpdump -e prints the inner frame's own length; an IPv4 frame's addresses follow it.
            Matcher ip = ADDRESSES.matcher(block).region(last.end(), block.length());
            boolean ipv4 = last.group(3).equals("IPv4") && ip.lookingAt();
            return new Inner(Integer.parseInt(last.group(4)), last.group(1), last.group(2),
                    ipv4 ? ip.group(1) : null, ipv4 ? ip.group(2) : null, block);
        }
        Matcher header = IP_HEADER.matcher(block);
        int end = -1;
        String kind = null;
        int length = 0;
        while (header.find()) {
            kind = header.group(1);
            length = Integer.parseInt(header.group(2));
            end = header.end();
        }
        if (kind == null) {
            throw new IllegalArgumentException("no inner frame in: " + block);
        }
        Matcher ip = ADDRESSES.matcher(block).region(end, block.length());
        if (!ip.find()) {
            throw new IllegalArgumentException("no inner addresses in: " + block);
        }
        // An Ethernet header (14) before the IP packet: IPv4's length is the total, IPv6's the payload.
        int frame = 14 + (kind.equals("IP6") ? 40 : 0) + length;
        return new Inner(frame, null, null, address(ip.group(1)), address(ip.group(2)), block);
    }

    /** tcpdump's "address.port" without the port. */
    private static String address(String printed) {
        if (printed.contains(":")) {
            int dot = printed.lastIndexOf('.');
            return dot < 0 ? printed : printed.substring(0, dot);
        }
        String[] parts = printed.split("\\.");
        return String.join(".", parts[0], parts[1], parts[2], parts[3]);
    }
}
