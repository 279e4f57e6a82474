package dev.overlay.pcap;

import static dev.overlay.pcap.EncodeOracleTest.untag;
import static dev.overlay.pcap.EncodeOracleTest.vlanOf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pcap encode} as an operator drives it: head-end replication and the static FDB, tenant
 * selection by 802.1Q tag or {@code --tenant}, the summary line, and the exit statuses of
 * CONTRACT.md (0, 1 unreadable input, 2 bad usage or config, 3 drops under --strict).
 */
class EncodeForwardingTest {
    @TempDir
    Path tmp;

    private final String v4 = OracleTools.resource("cleartext-v4.yaml").toString();

    private InProcessCli encode(String config, Path in, String... more) {
        String[] args = {"pcap", "encode", "--config", config, "--in", in.toString(),
            "--out", tmp.resolve("out.pcap").toString()};
        String[] all = Arrays.copyOf(args, args.length + more.length);
        System.arraycopy(more, 0, all, args.length, more.length);
        return InProcessCli.run(all);
    }

    private List<String> outerDestinations() {
        return OracleTools.tsharkFields(tmp.resolve("out.pcap"), List.of("-E", "occurrence=f"), "ip.dst")
                .stream().map(f -> f[0]).toList();
    }

    @Test
    void broadcastAndUnknownUnicastFloodInConfigOrderAndKnownUnicastGoesToItsPeer() {
        Path in = OracleTools.testPcap("tenant-blue.pcap");
        InProcessCli run = encode(v4, in, "--tenant", "blue");
        assertEquals(0, run.status(), run::toString);
        List<byte[]> frames = OracleTools.scapyFrames(in);
        List<String> dst = outerDestinations();
        int at = 0;
        for (byte[] frame : frames) {
            boolean toStaticEntry = Arrays.equals(Arrays.copyOf(frame, 6), EncodeOracleTest.mac("02:00:00:00:01:02"));
            if (toStaticEntry) {
                assertEquals("192.0.2.2", dst.get(at++), "known unicast: gw-b alone");
            } else {
                // Listed peers: [gw-c, gw-b]; head-end replication keeps that order.
                assertEquals(List.of("192.0.2.3", "192.0.2.2"), dst.subList(at, at + 2), "flooded at " + at);
                at += 2;
            }
        }
        assertEquals(dst.size(), at);
        long known = frames.stream()
                .filter(f -> Arrays.equals(Arrays.copyOf(f, 6), EncodeOracleTest.mac("02:00:00:00:01:02"))).count();
        assertTrue(known > 0 && known < frames.size(), "the capture has both kinds: " + known);
        assertEquals("packets in 16, out " + (2 * frames.size() - known) + ", dropped 0", run.summary());
        assertEquals("ff:ff:ff:ff:ff:ff",
                OracleTools.tsharkFields(tmp.resolve("out.pcap"), List.of("-E", "occurrence=l"), "eth.dst").get(0)[0],
                "broadcast first: the ARP request");
    }

    @Test
    void trunkFramesGoToTheTenantOfTheirTagAndTheRestAreCountedAsNoTenant() {
        InProcessCli run = encode(v4, OracleTools.testPcap("tenants-trunk.pcapng"));
        assertEquals(0, run.status(), run::toString);
        // Blue: 16 frames, 8 to the static 02:00:00:00:01:02 (one copy), 8 flooded (two);
        // red: 16 frames, all flooded to two peers. Frames 6 (untagged) and 21 (VLAN 999): no-tenant.
        assertEquals("packets in 34, out 56, dropped 2 (no-tenant=2)", run.summary());
        assertEquals("", run.out());
    }

    @Test
    void forcedTenantRemovesOnlyItsOwnTagAndKeepsOtherTagsAsTenantData() {
        Path in = OracleTools.testPcap("tenants-trunk.pcapng");
        InProcessCli run = encode(OracleTools.resource("cleartext-v6.yaml").toString(), in, "--tenant", "blue");
        assertEquals(0, run.status(), run::toString);
        assertEquals("packets in 34, out 34, dropped 0", run.summary());
        List<byte[]> input = OracleTools.scapyFrames(in);
        List<byte[]> inner = OracleTools.scapyInnerFrames(tmp.resolve("out.pcap"));
        for (int i = 0; i < input.size(); i++) {
            byte[] expected = vlanOf(input.get(i)) == 101 ? untag(input.get(i)) : input.get(i);
            assertArrayEquals(expected, inner.get(i), "frame " + (i + 1));
        }
        List<String> vnis = OracleTools.tsharkFields(tmp.resolve("out.pcap"), List.of(), "vxlan.vni")
                .stream().map(f -> f[0]).distinct().toList();
        assertEquals(List.of("1001"), vnis);
    }

    @Test
    void strictExitsThreeWhenAFrameWasDroppedAndZeroOtherwise() {
        InProcessCli dropped = encode(v4, OracleTools.testPcap("tenants-trunk.pcapng"), "--strict");
        assertEquals(3, dropped.status(), dropped::toString);
        assertEquals("packets in 34, out 56, dropped 2 (no-tenant=2)", dropped.summary());
        InProcessCli clean = encode(v4, OracleTools.testPcap("tenant-red.pcap"), "--strict", "--tenant", "red");
        assertEquals(0, clean.status(), clean::toString);
        assertEquals("packets in 16, out 32, dropped 0", clean.summary());
    }

    @Test
    void invalidConfigExitsTwoNamingFileKeyAndLine() throws IOException {
        Path bad = tmp.resolve("bad.yaml");
        Files.writeString(bad, """
                gateway:
                  name: gw-a
                  address: 192.0.2.1
                peers:
                  gw-b: { address: 192.0.2.2 }
                tenants:
                  blue:
                    vni: 1001
                    security: none
                    peers: [gw-b]
                    vlna: 101
                """);
        InProcessCli run = encode(bad.toString(), OracleTools.testPcap("tenant-blue.pcap"));
        assertEquals(2, run.status(), run::toString);
        assertTrue(run.err().contains(bad + ":11: tenants.blue.vlna: unknown key 'vlna' (did you mean 'vlan'?)"),
                run::toString);
        assertFalse(run.err().contains("Exception"), run::toString);
        assertFalse(Files.exists(tmp.resolve("out.pcap")), "nothing written for a bad config");
    }

    @Test
    void badUsageExitsTwo() {
        InProcessCli unknownTenant = encode(v4, OracleTools.testPcap("tenant-blue.pcap"), "--tenant", "green");
        assertEquals(2, unknownTenant.status(), unknownTenant::toString);
        assertTrue(unknownTenant.err().contains("--tenant green: no such tenant"), unknownTenant::toString);
        InProcessCli noOut = InProcessCli.run("pcap", "encode", "--config", v4,
                "--in", OracleTools.testPcap("tenant-blue.pcap").toString());
        assertEquals(2, noOut.status(), noOut::toString);
        assertTrue(noOut.err().contains("--out"), noOut::toString);
        InProcessCli unknownOption = encode(v4, OracleTools.testPcap("tenant-blue.pcap"), "--vni", "7");
        assertEquals(2, unknownOption.status(), unknownOption::toString);
    }

    @Test
    void inputThatIsNotACaptureExitsOne() throws IOException {
        Path text = tmp.resolve("notes.txt");
        Files.writeString(text, "these are not packets\n".repeat(10));
        InProcessCli run = encode(v4, text);
        assertEquals(1, run.status(), run::toString);
        assertTrue(run.err().contains(text + ": not a pcap or pcapng capture"), run::toString);
        InProcessCli missing = encode(v4, tmp.resolve("absent.pcap"));
        assertEquals(1, missing.status(), missing::toString);
    }

    @Test
    void truncatedCaptureExitsOneAfterTheWholePacketsWithTheSummary() throws IOException {
        byte[] whole = Files.readAllBytes(OracleTools.testPcap("tenant-blue.pcap"));
        Path cut = tmp.resolve("cut.pcap");
        Files.write(cut, Arrays.copyOf(whole, 3000));
        InProcessCli run = encode(v4, cut, "--tenant", "blue");
        assertEquals(1, run.status(), run::toString);
        assertTrue(run.err().contains("packets in 12, out "), run::toString);
        assertTrue(run.err().contains(cut + ": truncated at packet 13"), run::toString);
        long expected = OracleTools.scapyFrames(OracleTools.testPcap("tenant-blue.pcap")).stream().limit(12)
                .mapToLong(f -> Arrays.equals(Arrays.copyOf(f, 6), EncodeOracleTest.mac("02:00:00:00:01:02")) ? 1 : 2)
                .sum();
        // The config's warnings (cleartext) come first; the summary, then the truncation, last.
        List<String> err = run.err().lines().toList();
        assertEquals("packets in 12, out " + expected + ", dropped 0", err.get(err.size() - 2));
        assertEquals(expected, OracleTools.tsharkFields(tmp.resolve("out.pcap"), List.of(), "frame.number").size(),
                "the wire packets of the 12 whole frames were written");

        Path header = tmp.resolve("header.pcap");
        Files.write(header, Arrays.copyOf(whole, 10));
        InProcessCli shortHeader = encode(v4, header, "--tenant", "blue");
        assertEquals(1, shortHeader.status(), shortHeader::toString);
        assertTrue(shortHeader.err().contains("truncated capture header"), shortHeader::toString);
    }
}
