package dev.overlay.pcap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pcap decode} of packets scapy builds (overlay_scapy.py build): VXLAN and Geneve over IPv4
 * and IPv6, Geneve with a known and an ignorable option, and one packet for each way to fail,
 * among them a Geneve control message (O bit), whose payload must never reach a tenant.
 * The output must be exactly the inner frames scapy put in.
 */
class DecodeScapyTest {
    @TempDir
    Path tmp;

    private Path wire;
    /** Per input packet: the outcome scapy's builder intends, and the inner frame when it is "ok". */
    private final List<String> outcomes = new ArrayList<>();
    private final List<byte[]> frames = new ArrayList<>();

    @BeforeEach
    void build() {
        wire = tmp.resolve("scapy.pcap");
        for (String line : OracleTools.scapy("build", wire.toString())) {
            String[] parts = line.split(" ");
            outcomes.add(parts[0]);
            frames.add(parts[1].equals("-") ? null : HexFormat.of().parseHex(parts[1]));
        }
    }

    private InProcessCli decode(String... more) {
        List<String> args = new ArrayList<>(List.of("pcap", "decode", "--config",
                OracleTools.resource("cleartext-v4.yaml").toString(), "--in", wire.toString(),
                "--out", tmp.resolve("frames.pcap").toString()));
        args.addAll(List.of(more));
        return InProcessCli.run(args.toArray(String[]::new));
    }

    @Test
    void decodeGivesExactlyTheInnerFramesScapyPutIn() {
        InProcessCli run = decode();
        assertEquals(0, run.status(), run::toString);
        assertEquals("packets in 10, out 5, dropped 5 (not-overlay=1, unknown-vni=1, vxlan-no-i-flag=1, "
                + "geneve-critical-option=1, geneve-control=1)", run.summary());
        List<byte[]> expected = frames.stream().filter(f -> f != null).toList();
        List<byte[]> decoded = OracleTools.scapyFrames(tmp.resolve("frames.pcap"));
        assertEquals(expected.size(), decoded.size());
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), decoded.get(i), "frame " + (i + 1));
        }
        // Each frame keeps the timestamp of the packet it came from.
        List<String> inTimes = times(wire);
        List<String> kept = new ArrayList<>();
        for (int i = 0; i < outcomes.size(); i++) {
            if (outcomes.get(i).equals("ok")) {
                kept.add(inTimes.get(i));
            }
        }
        assertEquals(kept, times(tmp.resolve("frames.pcap")));
    }

    @Test
    void tagVlanInsertsTheTenantsTag() {
        InProcessCli run = decode("--tag-vlan");
        assertEquals(0, run.status(), run::toString);
        List<byte[]> decoded = OracleTools.scapyFrames(tmp.resolve("frames.pcap"));
        List<byte[]> expected = frames.stream().filter(f -> f != null).toList();
        // Blue's frames are VXLAN 1001 (VLAN 101), red's Geneve 1002 (VLAN 102): scapy's first two are blue.
        int[] vids = {101, 101, 102, 102, 102};
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(tagged(expected.get(i), vids[i]), decoded.get(i), "frame " + (i + 1));
        }
        List<String> tshark = OracleTools.tsharkFields(tmp.resolve("frames.pcap"), List.of(), "vlan.id")
                .stream().map(f -> f[0]).toList();
        assertEquals(List.of("101", "101", "102", "102", "102"), tshark);
    }

    @Test
    void tenantSelectionCountsTheOthersAndStrictExitsThree() {
        InProcessCli run = decode("--tenant", "red", "--strict");
        assertEquals(3, run.status(), run::toString);
        assertEquals("packets in 10, out 3, dropped 7 (not-overlay=1, unknown-vni=1, other-tenant=2, "
                + "vxlan-no-i-flag=1, geneve-critical-option=1, geneve-control=1)", run.summary());
    }

    /** {@code frame} with an 802.1Q tag (TPID 0x8100, PCP 0) after the MAC addresses. */
    static byte[] tagged(byte[] frame, int vid) {
        byte[] out = new byte[frame.length + 4];
        System.arraycopy(frame, 0, out, 0, 12);
        out[12] = (byte) 0x81;
        out[14] = (byte) (vid >>> 8);
        out[15] = (byte) vid;
        System.arraycopy(frame, 12, out, 16, frame.length - 12);
        return out;
    }

    private static List<String> times(Path capture) {
        return OracleTools.tsharkFields(capture, List.of(), "frame.time_epoch").stream().map(f -> f[0]).toList();
    }
}
