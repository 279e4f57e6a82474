package dev.overlay.pcap;

import static dev.overlay.pcap.EspToolsFixture.cli;
import static dev.overlay.pcap.EspToolsFixture.frames;
import static dev.overlay.pcap.EspToolsFixture.resource;
import static dev.overlay.pcap.EspToolsFixture.root;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-SA table of {@code pcap inspect}: a replayed and a corrupted packet of blue's SA are
 * charged to that SA (replay=1, integrity=1), and to no other.
 */
class InspectPerSaTest {
    @TempDir
    Path dir;

    private Path config;
    private Path capture;

    /** encode's output for the trunk, with blue's second packet corrupted and its first replayed at the end. */
    @BeforeEach
    void capture() {
        config = resource("tshark-gcm256-gw-a.yaml");
        Path wire = dir.resolve("wire.pcap");
        cli("pcap", "encode", "--config", config, "--in", root().resolve("test-pcaps/tenants-trunk.pcapng"),
                "--out", wire).expect(0);
        List<byte[]> packets = new ArrayList<>(frames(wire));
        // Packets alternate blue (SPI 0x1001), red (0x1002); index 2 is blue's second.
        byte[] corrupt = packets.get(2).clone();
        corrupt[corrupt.length - 20] ^= 0x01; // ciphertext: the GCM tag no longer verifies
        packets.set(2, corrupt);
        packets.add(packets.get(0).clone());
        capture = dir.resolve("bad.pcap");
        EspToolsFixture.writeCapture(capture, packets);
    }

    @Test
    void replayedAndCorruptedPacketsAreChargedToTheirSaInTheTable() {
        EspToolsFixture.Cli run = cli("pcap", "inspect", "--config", config, "--in", capture).expect(0);
        String blue = line(run.out(), "0x00001001");
        assertTrue(blue.matches("0x00001001 out gw-b\\s+blue\\s+aes-gcm-256\\s+15\\s+\\d+\\s+replay=1, integrity=1"), blue);
        String red = line(run.out(), "0x00001002");
        assertTrue(red.matches("0x00001002 out gw-b\\s+red\\s+aes-gcm-256\\s+16\\s+\\d+\\s+-"), red);
        assertTrue(line(run.out(), "0x00002001").matches("0x00002001 in\\s+gw-b\\s+blue\\s+aes-gcm-256\\s+0\\s+0\\s+-"));
        assertTrue(run.err().contains("packets in 33, out 31, dropped 2 (replay=1, integrity=1)"), run.err());
    }

    @Test
    void replayedAndCorruptedPacketsAreChargedToTheirSaInJson() {
        EspToolsFixture.Cli run = cli("pcap", "inspect", "--config", config, "--in", capture, "--json").expect(0);
        Matcher blue = Pattern.compile("\\{\"spi\":\"0x00001001\",\"direction\":\"out\",\"peer\":\"gw-b\","
                + "\"tenants\":\\[\"blue\"],\"algorithm\":\"aes-gcm-256\",\"mode\":\"transport\",\"packets\":(\\d+),"
                + "\"bytes\":(\\d+),\"drops\":\\{(.*?)}}").matcher(run.out());
        assertTrue(blue.find(), run.out());
        assertEquals("15", blue.group(1));
        assertEquals("\"replay\":1,\"integrity\":1", blue.group(3));
        Matcher red = Pattern.compile("\\{\"spi\":\"0x00001002\",\"direction\".*?\"packets\":(\\d+),\"bytes\":\\d+,\"drops\":\\{(.*?)}")
                .matcher(run.out());
        assertTrue(red.find());
        assertEquals("16", red.group(1));
        assertEquals("", red.group(2));
        // The document as a whole is JSON, as python's own parser reads it.
        String keys = EspToolsFixture.run(List.of(EspToolsFixture.PYTHON, "-c",
                "import json,sys; d=json.loads(sys.argv[1]); "
                        + "print(sorted(d)); print([s['spi'] for s in d['security_associations']])", run.out()),
                java.util.Map.of());
        assertEquals("['decoded', 'dropped', 'drops', 'flows', 'packets_in', 'security_associations']\n"
                + "['0x00001001', '0x00001002', '0x00002001', '0x00002002']\n", keys);
    }

    @Test
    void withoutReplayCheckTheReplayedPacketCountsAsOpened() {
        EspToolsFixture.Cli run = cli("pcap", "inspect", "--config", config, "--in", capture, "--no-replay-check")
                .expect(0);
        String blue = line(run.out(), "0x00001001");
        assertTrue(blue.matches(".*\\s16\\s+\\d+\\s+integrity=1"), blue);
    }

    private static String line(String table, String spi) {
        return table.lines().filter(l -> l.startsWith(spi)).findFirst().orElse("(no row for " + spi + ")\n" + table)
                .strip();
    }
}
