package dev.overlay.pcap;

import static dev.overlay.pcap.EspToolsFixture.cli;
import static dev.overlay.pcap.EspToolsFixture.frames;
import static dev.overlay.pcap.EspToolsFixture.root;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The readers as a user runs them with the keys at hand: a config of inbound SAs only, an
 * {@code ip xfrm state} dump without any config, both together; and each way the keys can be
 * wrong, one sentence naming the file and line, exit 2.
 */
class SaFileCommandsTest {
    private static final String GW_A = "192.0.2.1";
    private static final String GW_B = "192.0.2.2";

    @TempDir
    Path dir;

    private byte[] key;
    private Path wire;
    /** The tenant frames of the trunk capture: blue's and red's, untagged. */
    private List<WiresharkKeysTest.Expected> expected;

    @BeforeEach
    void gwBSendsBothTenantsToGwA() {
        key = EspToolsFixture.randomBytes(new Random(12), 36);
        Path gwB = EspToolsFixture.write(dir.resolve("gw-b.yaml"), EspToolsFixture.config(GW_B, GW_A, true,
                EspToolsFixture.sa(0x2001, "out", "aes-gcm-256", 16, key, null, null, "transport", null)));
        wire = dir.resolve("wire.pcap");
        cli("pcap", "encode", "--config", gwB, "--in", root().resolve("test-pcaps/tenants-trunk.pcapng"),
                "--out", wire).expect(0);
        expected = WiresharkKeysTest.trunkFrames();
    }

    /** gw-a's side of that SA as its ip xfrm state prints it. */
    private Path states(byte[] k) {
        XfrmStateText t = new XfrmStateText(GW_B, GW_A, 0x2001);
        t.aead = new XfrmStateText.Algo("rfc4106(gcm(aes))", k, 128);
        t.encapSport = 4500;
        t.encapDport = 4500;
        return EspToolsFixture.write(dir.resolve("states.txt"), t.render());
    }

    private Path gwA(String sas) {
        return EspToolsFixture.write(dir.resolve("gw-a.yaml"), EspToolsFixture.config(GW_A, GW_B, true, sas));
    }

    private void assertFramesAre(Path capture, List<WiresharkKeysTest.Expected> want) {
        List<byte[]> got = frames(capture);
        assertEquals(want.size(), got.size());
        for (int i = 0; i < want.size(); i++) {
            assertArrayEquals(want.get(i).frame(), got.get(i), "frame " + i);
        }
    }

    @Test
    void aConfigOfTheInboundSaAloneOpensWhatTheGatewayReceivesAndCannotSend() {
        Path config = gwA(EspToolsFixture.sa(0x2001, "in", "aes-gcm-256", 16, key, null, null, "transport", null));
        Path frames = dir.resolve("frames.pcap");
        EspToolsFixture.Cli decode = cli("pcap", "decode", "--config", config, "--in", wire, "--out", frames).expect(0);
        assertTrue(decode.err().contains("dropped 0"), decode.err());
        assertFalse(decode.err().contains("tenant check not applied"), decode.err());
        assertFramesAre(frames, expected);
        EspToolsFixture.Cli decrypt = cli("pcap", "decrypt", "--config", config, "--in", wire, "--out",
                dir.resolve("clear.pcap")).expect(0);
        assertTrue(decrypt.err().contains("out " + expected.size() + ", dropped 0"), decrypt.err());
        EspToolsFixture.Cli inspect = cli("pcap", "inspect", "--config", config, "--in", wire).expect(0);
        assertTrue(inspect.out().contains("0x00002001 in  gw-b"), inspect.out());
        cli("pcap", "wireshark-keys", "--config", config).expect(0);

        EspToolsFixture.Cli encode = cli("pcap", "encode", "--config", config, "--in",
                root().resolve("test-pcaps/tenants-trunk.pcapng"), "--out", dir.resolve("again.pcap")).expect(2);
        assertTrue(encode.err().contains(config + " is not a valid config for encode (2 errors; 'overlay check "
                + "--config " + config + " --for encode' lists them)"), encode.err());
        assertTrue(encode.err().contains("tenants.blue.peers[0]: no out SA carries tenant blue to peer gw-b, so its "
                + "traffic to gw-b could not be sent (add one, or security: none)"), encode.err());
    }

    @Test
    void anIpXfrmDumpAloneDecodesEveryFrameAndSaysTheTenantCheckWasNotApplied() {
        Path states = states(key);
        Path frames = dir.resolve("frames.pcap");
        EspToolsFixture.Cli decode = cli("pcap", "decode", "--sa-file", states, "--in", wire, "--out", frames).expect(0);
        List<String> err = decode.err().strip().lines().toList();
        assertEquals("decode: tenant check not applied: without --config there are no tenants, so all "
                + expected.size() + " decapsulated frames were written", err.get(err.size() - 2));
        assertEquals("packets in " + expected.size() + ", out " + expected.size() + ", dropped 0", err.getLast());
        assertFramesAre(frames, expected);

        EspToolsFixture.Cli tenant = cli("pcap", "decode", "--sa-file", states, "--in", wire, "--out", frames,
                "--tenant", "blue").expect(2);
        assertEquals("overlay: --tenant blue needs --config: SA files name no tenants\n", tenant.err());
        EspToolsFixture.Cli tag = cli("pcap", "decode", "--sa-file", states, "--in", wire, "--out", frames,
                "--tag-vlan").expect(2);
        assertEquals("overlay: --tag-vlan needs --config: the VLANs are the tenants'\n", tag.err());

        EspToolsFixture.Cli inspect = cli("pcap", "inspect", "--sa-file", states, "--in", wire).expect(0);
        long blue = expected.stream().filter(e -> e.vni() == 1001).count();
        assertTrue(inspect.out().matches("(?s).*\\n-\\s+vxlan\\s+1001 0x00002001\\s+" + blue + " .*"), inspect.out());
        assertTrue(inspect.out().matches("(?s).*\\n-\\s+geneve\\s+1002 0x00002001\\s+" + (expected.size() - blue)
                + " .*"), inspect.out());
        assertTrue(inspect.out().contains("0x00002001 -   192.0.2.2"), inspect.out());
        EspToolsFixture.Cli json = cli("pcap", "inspect", "--sa-file", states, "--in", wire, "--json").expect(0);
        assertTrue(json.out().contains("\"spi\":\"0x00002001\",\"direction\":null,\"peer\":\"192.0.2.2\",\"sa_file\":\""
                + states + ":1\""), json.out());
        assertTrue(json.out().contains("{\"tenant\":\"-\",\"encapsulation\":\"vxlan\",\"vni\":1001"), json.out());
    }

    @Test
    void aConfigAndADumpTogetherUseBothAndTheConfigsTenantsStillNameTheFrames() {
        // gw-a's config has the tenants and no SA; the dump has the one that opens the capture.
        Path config = gwA("");
        Path states = states(key);
        Path frames = dir.resolve("frames.pcap");
        EspToolsFixture.Cli decode = cli("pcap", "decode", "--config", config, "--sa-file", states, "--in", wire,
                "--out", frames, "--tenant", "blue", "--tag-vlan").expect(0);
        List<WiresharkKeysTest.Expected> blue = expected.stream().filter(e -> e.vni() == 1001).toList();
        assertTrue(decode.err().contains("decode: tenant check not applied to " + blue.size() + " frames opened with "
                + "--sa-file SAs, which name no tenants"), decode.err());
        assertTrue(decode.err().contains("other-tenant=" + (expected.size() - blue.size())), decode.err());
        List<byte[]> got = frames(frames);
        assertEquals(blue.size(), got.size());
        assertEquals(0x81, got.get(0)[12] & 0xFF, "tagged with blue's VLAN");

        // The same SA in both: used once, as the config's, so the tenant check applies.
        Path same = gwA(EspToolsFixture.sa(0x2001, "in", "aes-gcm-256", 16, key, null, null, "transport", null));
        EspToolsFixture.Cli both = cli("pcap", "decode", "--config", same, "--sa-file", states, "--in", wire,
                "--out", frames).expect(0);
        assertFalse(both.err().contains("tenant check not applied"), both.err());

        // The same SPI and direction with other keys: which SA opens is ambiguous.
        Path clash = gwA(EspToolsFixture.sa(0x2001, "in", "aes-gcm-256", 16, new byte[36], null, null, "transport",
                null));
        EspToolsFixture.Cli refused = cli("pcap", "decode", "--config", clash, "--sa-file", states, "--in", wire,
                "--out", frames).expect(2);
        assertEquals("overlay: " + states + ":1: spi 0x00002001 (in, to 192.0.2.1) is also security-associations[0] of "
                + clash + ", with other keys: one SPI and direction can name one SA\n", refused.err());
        // The other direction is another SA (RFC 4301: SPI and destination): no clash.
        Path outbound = gwA(EspToolsFixture.sa(0x2001, "out", "aes-gcm-256", 16, new byte[36], null, null,
                "transport", null));
        cli("pcap", "decode", "--config", outbound, "--sa-file", states, "--in", wire, "--out", frames).expect(0);
    }

    @Test
    void badSaFilesAreOneSentenceWithFileAndLineAndExitTwo() {
        String head = "src 192.0.2.2 dst 192.0.2.1\n\tproto esp spi 0x00002001 reqid 1 mode transport\n\treplay-window 32 \n";
        String[][] cases = {
                {head + "\tenc cbc(blowfish) 0x" + "11".repeat(16) + "\n", ":4: enc cbc(blowfish) is not supported"},
                {head + "\taead rfc4106(gcm(aes)) 0x1234 128\n", ":4: the key of aead rfc4106(gcm(aes)) has 2 bytes"},
                {head + "\taead rfc4106(gcm(aes)) 0xzz 128\n", ":4: the key of aead rfc4106(gcm(aes)) is not hex"},
                {head.replace("0x00002001", "0x00000000"), ":2: spi 0x00000000 is reserved"},
                {"\"IPv4\",\"*\",\"*\",\"0x2001\",\"BLOWFISH-CBC [RFC2451]\",\"0x1122334455667788\",\"NULL\",\"\"\n",
                        ":1: encryption \"BLOWFISH-CBC [RFC2451]\" is not supported"},
                {"\"IPv4\",\"*\",\"*\",\"0x2001\",\"NULL\"\n", ":1: expected 8 quoted fields"},
                {"conn home\n", ":1: neither `ip xfrm state` output"}};
        for (String[] c : cases) {
            Path file = EspToolsFixture.write(dir.resolve("bad"), c[0]);
            for (String command : List.of("decrypt", "decode", "inspect")) {
                EspToolsFixture.Cli run = command.equals("inspect")
                        ? cli("pcap", command, "--sa-file", file, "--in", wire)
                        : cli("pcap", command, "--sa-file", file, "--in", wire, "--out", dir.resolve("o.pcap"));
                run.expect(2);
                assertEquals(1, run.err().lines().count(), run.err());
                assertTrue(run.err().startsWith("overlay: " + file + c[1]), command + ": " + run.err());
                assertFalse(run.err().contains("Exception") || run.err().contains("\tat "), run.err());
                assertEquals("", run.out());
            }
        }
        EspToolsFixture.Cli missing = cli("pcap", "decrypt", "--sa-file", dir.resolve("nope"), "--in", wire, "--out",
                dir.resolve("o.pcap")).expect(2);
        assertEquals("overlay: " + dir.resolve("nope") + ": cannot read SA file: no such file\n", missing.err());
    }

    @Test
    void theReadersNeedSomeKeysAndEncodeStillNeedsItsConfig() {
        EspToolsFixture.Cli none = cli("pcap", "decrypt", "--in", wire, "--out", dir.resolve("o.pcap")).expect(2);
        assertEquals("overlay: Missing required option: '--config=FILE' or '--sa-file=FILE' (the keys to open the "
                + "capture with; both may be given)\n", none.err());
        EspToolsFixture.Cli encode = cli("pcap", "encode", "--in", wire, "--out", dir.resolve("o.pcap")).expect(2);
        assertEquals("overlay: Missing required option: '--config=FILE'\n", encode.err());
        EspToolsFixture.Cli noSaFile = cli("pcap", "encode", "--sa-file", states(key), "--in", wire, "--out",
                dir.resolve("o.pcap")).expect(2);
        assertTrue(noSaFile.err().contains("--sa-file"), noSaFile.err());
    }

    @Test
    void spisOfOneTo255AreAcceptedWithAWarningByEveryPcapCommand() {
        Path config = gwA(EspToolsFixture.sa(123, "out", "aes-gcm-256", 16, key, null, null, "transport", null)
                + EspToolsFixture.sa(52, "in", "aes-gcm-256", 16, key, null, null, "transport", null));
        String warning = "warning: spi 123 (0x7b) is in 1..255, reserved for IANA (RFC 4303 section 2.1)";
        Path out = dir.resolve("o.pcap");
        EspToolsFixture.Cli encode = cli("pcap", "encode", "--config", config, "--in",
                root().resolve("test-pcaps/tenants-trunk.pcapng"), "--out", out).expect(0);
        assertTrue(encode.err().contains(warning), encode.err());
        for (List<Object> args : List.of(
                List.<Object>of("pcap", "decode", "--config", config, "--in", out, "--out", dir.resolve("f.pcap")),
                List.<Object>of("pcap", "decrypt", "--config", config, "--in", out, "--out", dir.resolve("d.pcap")),
                List.<Object>of("pcap", "inspect", "--config", config, "--in", out),
                List.<Object>of("pcap", "wireshark-keys", "--config", config))) {
            EspToolsFixture.Cli run = cli(args.toArray()).expect(0);
            assertTrue(run.err().contains(warning) && run.err().contains("spi 52 (0x34)"), args + ": " + run.err());
        }
        // decode opens its own output (outbound SA 123, read for a capture of this gateway's traffic).
        EspToolsFixture.Cli decode = cli("pcap", "decode", "--config", config, "--in", out, "--out",
                dir.resolve("f.pcap")).expect(0);
        assertTrue(decode.err().contains("out " + expected.size() + ", dropped 0"), decode.err());
    }
}
