package dev.overlay.pcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pcap encode} runs the gateway's tx stages, path MTU included: an oversized IPv4 frame
 * with DF is a {@code too-big} drop (the gateway's ICMP error has no port to go to here), one
 * without DF leaves as fragments that scapy reassembles, a SYN is clamped when the tenant asks;
 * the outer IPv4 header carries DF and ID 0 with {@code underlay-fragmentation: df}, no DF and
 * an ID of its own with {@code allow}. tshark and scapy read the output.
 */
class EncodePathMtuTest {
    @TempDir
    Path tmp;

    /** A DF frame 1 byte over the cleartext MTU 1450, a 3000-byte frame without DF, a SYN with MSS 1460. */
    private static final String FRAMES = """
            import sys
            from scapy.all import *
            E = Ether(dst="02:00:00:00:01:02", src="02:00:00:00:01:01")
            frames = [E/IP(src="10.0.0.1", dst="10.0.0.2", flags="DF")/UDP(sport=1, dport=2)/(b"d" * 1423),
                      E/IP(src="10.0.0.1", dst="10.0.0.2", id=77)/UDP(sport=3, dport=4)/(bytes(range(256)) * 12)[:2958],
                      E/IP(src="10.0.0.1", dst="10.0.0.2", flags="DF")/TCP(sport=5, dport=6, flags="S", options=[("MSS", 1460)])]
            wrpcap(sys.argv[1], [Ether(bytes(f)) for f in frames])
            """;

    /** The inner frames of the encoded capture: fragments reassembled, the SYN's MSS and checksum. */
    private static final String INNER = """
            import sys
            from scapy.all import *
            from scapy.layers.vxlan import VXLAN
            inner = [p[VXLAN].payload for p in rdpcap(sys.argv[1])]
            frags = [f[IP] for f in inner if f.haslayer(IP) and (f[IP].flags.MF or f[IP].frag)]
            whole = defragment(frags)
            print("fragments", len(frags), max(len(f) for f in frags), len(whole), len(whole[0]))
            print("payload", bytes(whole[0][UDP].payload) == (bytes(range(256)) * 12)[:2958])
            syn = [f for f in inner if f.haslayer(TCP)][0]
            fresh = IP(bytes(syn[IP])); del fresh[TCP].chksum
            print("syn", dict(syn[TCP].options)["MSS"], syn[TCP].chksum == IP(bytes(fresh))[TCP].chksum)
            """;

    private Path config(String gatewayKeys, String tenantKeys) throws Exception {
        String yaml = Files.readString(OracleTools.resource("cleartext-v4.yaml"))
                .replace("  mac: \"02:00:00:00:0a:01\"\n", "  mac: \"02:00:00:00:0a:01\"\n" + gatewayKeys)
                .replace("    vlan: 101\n", "    vlan: 101\n" + tenantKeys);
        return Files.writeString(tmp.resolve("gw.yaml"), yaml);
    }

    private Path frames() throws Exception {
        Path in = tmp.resolve("frames.pcap");
        OracleTools.run(List.of(OracleTools.PYTHON, "-c", FRAMES, in.toString()));
        return in;
    }

    @Test
    void dfIsDroppedFragmentsAreEncodedAndSynsClamped() throws Exception {
        Path out = tmp.resolve("wire.pcap");
        InProcessCli run = InProcessCli.run("pcap", "encode", "--config", config("", "    mss-clamp: auto\n").toString(),
                "--in", frames().toString(), "--out", out.toString(), "--tenant", "blue");
        assertEquals(0, run.status(), run::toString);
        // Three fragments of the 2986-byte packet at MTU 1450 (1424 + 1424 + 118 bytes of data) and the SYN.
        assertEquals("packets in 3, out 4, dropped 1 (too-big=1)", run.summary());
        List<String> inner = OracleTools.run(List.of(OracleTools.PYTHON, "-c", INNER, out.toString())).lines().toList();
        assertEquals("fragments 3 1444 1 2986", inner.get(0), "each fragment within 1450 bytes, one packet again");
        assertEquals("payload True", inner.get(1));
        assertEquals("syn 1410 True", inner.get(2), "MSS 1450 - 40, checksum right");
        List<String[]> outer = OracleTools.tsharkFields(out, List.of("-E", "occurrence=f"), "ip.flags.df", "ip.id");
        for (String[] f : outer) {
            assertTrue(f[0].equals("1") || f[0].equals("True"), "df: outer DF set");
            assertEquals("0x0000", f[1], "df: atomic datagrams, ID 0 (RFC 6864)");
        }
    }

    @Test
    void withFragmentationAllowedTheOuterHeaderMayBeFragmented() throws Exception {
        Path out = tmp.resolve("wire.pcap");
        InProcessCli run = InProcessCli.run("pcap", "encode", "--config",
                config("  underlay-fragmentation: allow\n", "").toString(), "--in", frames().toString(),
                "--out", out.toString(), "--tenant", "blue");
        assertEquals(0, run.status(), run::toString);
        // Tenant MTU 1500: the DF frame fits now; the 2986-byte packet is 1480 + 1480 + 6 bytes of data.
        assertEquals("packets in 3, out 5, dropped 0", run.summary());
        List<String[]> outer = OracleTools.tsharkFields(out, List.of("-E", "occurrence=f"), "ip.flags.df", "ip.id",
                "ip.len");
        assertEquals(5, outer.size());
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (String[] f : outer) {
            assertTrue(f[0].equals("0") || f[0].equals("False"), "allow: no DF");
            assertTrue(ids.add(f[1]) && !f[1].equals("0x0000"), "each outer datagram has an ID of its own: " + f[1]);
        }
        assertEquals("1501", outer.get(0)[2], "1451 + 50 of VXLAN over IPv4: over the underlay MTU, the kernel's to cut");
    }
}
