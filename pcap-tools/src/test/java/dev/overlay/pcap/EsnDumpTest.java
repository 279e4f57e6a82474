package dev.overlay.pcap;

import static dev.overlay.pcap.EspToolsFixture.cli;
import static dev.overlay.pcap.EspToolsFixture.frames;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A capture of an ESN SA past 2^32 packets, opened with an {@code ip xfrm state} dump of the SA
 * taken after it: the dump's replay state ({@code seq-hi}, {@code seq}, {@code oseq-hi},
 * {@code oseq}) says how far the SA had got, and the first packets are tried with the high
 * halves near it until one verifies. Without that state (a fresh SA's zeros) the same capture
 * fails its ICVs, as it did before.
 */
class EsnDumpTest {
    /** The capture's first number: its six packets cross from high half 2 into 3. */
    private static final long FIRST = (3L << 32) - 3;

    @Test
    void aCapturePastTwoToThe32OpensWithTheReplayStateOfADumpTakenAfterIt() throws IOException {
        Path dir = Files.createTempDirectory("esn-dump");
        List<byte[]> all = frames(EspToolsFixture.root().resolve("test-pcaps/tenant-blue.pcap"));
        List<byte[]> input = all.subList(0, 6);
        Path frames = EspToolsFixture.write(dir.resolve("x"), "");
        EspToolsFixture.writeCapture(frames, input);
        byte[] key = EspToolsFixture.randomBytes(new Random(4303), 36);
        SaTexts sa = new SaTexts("aes-gcm-256", 16, key, null, null);
        // gw-a sends with the SA, its sequence numbers already near 3 * 2^32.
        Path config = EspToolsFixture.write(dir.resolve("gw-a.yaml"), EspToolsFixture.config("192.0.2.1", "192.0.2.2",
                true, EspToolsFixture.sa(0x1001, "out", "aes-gcm-256", 16, key, null, null, "transport",
                        "esn: true, initial-sequence: " + (FIRST - 1))));
        Path wire = dir.resolve("wire.pcap");
        cli("pcap", "encode", "--config", config, "--in", frames, "--out", wire, "--tenant", "blue").expect(0);
        long last = FIRST + 5;

        // The receiver's dump, a while after the capture; the sender's, as it stood then.
        XfrmStateText receiver = sa.xfrm("192.0.2.1", "192.0.2.2", 0x1001, "transport");
        receiver.esn = true;
        receiver.encapSport = 4500;
        receiver.encapDport = 4500;
        receiver.seqIn = last + 70_000;
        XfrmStateText sender = sa.xfrm("192.0.2.1", "192.0.2.2", 0x1001, "transport");
        sender.esn = true;
        sender.stats = true;
        sender.seqOut = last;
        for (XfrmStateText dump : List.of(receiver, sender)) {
            Path states = EspToolsFixture.write(dir.resolve("states.txt"), dump.render());
            assertTrue(dump.render().contains("seq-hi 0x3,"), dump.render());
            Path clear = dir.resolve("clear.pcap");
            EspToolsFixture.Cli decrypt = cli("pcap", "decrypt", "--sa-file", states, "--in", wire, "--out", clear).expect(0);
            assertTrue(decrypt.err().contains("packets in 6, out 6, dropped 0"), decrypt.err());
            Path decoded = dir.resolve("frames.pcap");
            cli("pcap", "decode", "--sa-file", states, "--in", wire, "--out", decoded).expect(0);
            List<byte[]> got = frames(decoded);
            assertEquals(6, got.size());
            for (int i = 0; i < 6; i++) {
                assertArrayEquals(input.get(i), got.get(i), "frame " + i);
            }
        }

        // A dump of a fresh SA (all zeros) says nothing about where the numbers are: starting from
        // zero, every packet past 2^32 fails its ICV.
        XfrmStateText fresh = sa.xfrm("192.0.2.1", "192.0.2.2", 0x1001, "transport");
        fresh.esn = true;
        fresh.encapSport = 4500;
        fresh.encapDport = 4500;
        Path states = EspToolsFixture.write(dir.resolve("fresh.txt"), fresh.render());
        EspToolsFixture.Cli none = cli("pcap", "decrypt", "--sa-file", states, "--in", wire, "--out",
                dir.resolve("none.pcap")).expect(0);
        assertTrue(none.err().contains("packets in 6, out 0, dropped 6 (integrity=6)"), none.err());
    }
}
