package dev.overlay.pcap;

import static dev.overlay.pcap.EspToolsFixture.HEX;
import static dev.overlay.pcap.EspToolsFixture.cli;
import static dev.overlay.pcap.EspToolsFixture.frames;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Liberal in what we read, strict in what we send. scapy's ESP writes captures the way others
 * configure SAs beyond RFC 4868: HMAC keys shorter and longer than the hash, HMAC-SHA-256
 * truncated to 96 bits (Linux's {@code auth hmac(sha256)}), AES-CTR with HMAC-SHA-1-96, 3DES with
 * HMAC-MD5-96. Each opens with one command from a decrypt-only config, an {@code ip xfrm state}
 * dump and a Wireshark {@code esp_sa} record, with a warning naming the file and line where
 * something is weaker than RFC 4868; tshark with the same esp_sa checks the same ICVs. A config
 * that would send with such an SA is refused by {@code encode} and {@code check}, as before.
 */
class LegacyEspTest {

    /** A case: scapy's names, the config's, the key lengths, and the warning each source gives (null: none). */
    record Case(String name, String scapyCrypt, String scapyAuth, String algorithm, int keyLength, String integrity,
                int integrityKeyLength, boolean plainAuthLine, String configWarning, String xfrmWarning,
                String espSaWarning) {}

    static final List<Case> CASES = List.of(
            new Case("aes-cbc-128 + hmac-sha256-128 with a 20-byte key", "AES-CBC", "SHA2-256-128", "aes-cbc-128", 16,
                    "hmac-sha256-128", 20, false,
                    "hmac-sha256-128 key is 20 bytes where RFC 4868 section 2.1.1 gives 32: opened for reading",
                    "the key of auth-trunc hmac(sha256) has 20 bytes where RFC 4868 section 2.1.1 gives 32: opened",
                    "the authentication key of HMAC-SHA-256-128 [RFC4868] has 20 bytes where RFC 4868 section 2.1.1 gives 32"),
            new Case("null + hmac-sha512-256 with a 131-byte key", "NULL", "SHA2-512-256", "null", 0,
                    "hmac-sha512-256", 131, false,
                    "hmac-sha512-256 key is 131 bytes where RFC 4868 section 2.1.1 gives 64",
                    "the key of auth-trunc hmac(sha512) has 131 bytes",
                    "the authentication key of HMAC-SHA-512-256 [RFC4868] has 131 bytes"),
            new Case("aes-cbc-256 + Linux's auth hmac(sha256): 96 bits", "AES-CBC", "SHA2-256-96", "aes-cbc-256", 32,
                    "hmac-sha256-96", 32, true, null,
                    "auth hmac(sha256) without a truncation is truncated to 96 bits by Linux", null),
            new Case("aes-ctr-128 + hmac-sha1-96", "AES-CTR", "HMAC-SHA1-96", "aes-ctr-128", 20, "hmac-sha1-96", 20,
                    false, null, null, null),
            new Case("3des-cbc + hmac-md5-96", "3DES", "HMAC-MD5-96", "3des-cbc", 24, "hmac-md5-96", 16, false, null,
                    null, null));

    enum Source { CONFIG, IP_XFRM, ESP_SA }

    @TestFactory
    Stream<DynamicTest> scapysCapturesOpenFromEveryKeySourceAndTsharkAgrees() throws IOException {
        Path dir = Files.createTempDirectory("legacy-esp");
        ObjectMapper json = new ObjectMapper();
        ObjectNode spec = json.createObjectNode();
        ArrayNode cases = spec.putArray("cases");
        Random random = new Random(2404);
        List<SaTexts> sas = new ArrayList<>();
        for (int i = 0; i < CASES.size(); i++) {
            Case c = CASES.get(i);
            SaTexts sa = new SaTexts(c.algorithm(), null, EspToolsFixture.randomBytes(random, c.keyLength()), c.integrity(),
                    EspToolsFixture.randomBytes(random, c.integrityKeyLength()));
            sas.add(sa);
            cases.addObject().put("name", c.name()).put("spi", 0x3001 + i).put("crypt", c.scapyCrypt())
                    .put("auth", c.scapyAuth()).put("key", HEX.formatHex(sa.key()))
                    .put("auth_key", HEX.formatHex(sa.integrityKey()))
                    .put("out", dir.resolve("case" + i + ".pcap").toString());
        }
        Path specFile = dir.resolve("spec.json");
        json.writeValue(specFile.toFile(), spec);
        JsonNode inner = json.readTree(EspToolsFixture.run(List.of(EspToolsFixture.PYTHON,
                EspToolsFixture.resource("legacy_esp.py").toString(), specFile.toString()), Map.of()));
        List<DynamicTest> tests = new ArrayList<>();
        for (int i = 0; i < CASES.size(); i++) {
            Case c = CASES.get(i);
            SaTexts sa = sas.get(i);
            Path capture = dir.resolve("case" + i + ".pcap");
            List<String> packets = new ArrayList<>();
            inner.get(c.name()).forEach(p -> packets.add(p.asText()));
            long spi = 0x3001 + i;
            for (Source source : Source.values()) {
                tests.add(DynamicTest.dynamicTest(c.name() + " via " + source,
                        () -> opens(c, sa, source, spi, capture, packets, dir)));
            }
            tests.add(DynamicTest.dynamicTest(c.name() + ": tshark", () -> tsharkAgrees(c, sa, spi, capture, dir)));
        }
        return tests.stream();
    }

    private static Path keys(Case c, SaTexts sa, Source source, long spi, Path dir) {
        String name = c.name().replaceAll("[^A-Za-z0-9]+", "_") + "-" + source;
        return switch (source) {
            case CONFIG -> {
                // The inbound SA that opens the capture, and an outbound SA that only a reader accepts
                // (a 20-byte HMAC key): a reader loads it, and nothing ever seals with it.
                String in = EspToolsFixture.sa(spi, "in", sa.algorithm(), null, sa.key(), sa.integrity(),
                        sa.integrityKey(), "tunnel", null);
                String out = EspToolsFixture.sa(spi + 0x100, "out", "aes-cbc-128", null, new byte[16],
                        "hmac-sha256-128", new byte[20], "tunnel", null);
                yield EspToolsFixture.write(dir.resolve(name + ".yaml"),
                        EspToolsFixture.config("192.0.2.1", "192.0.2.2", false, in + out));
            }
            case IP_XFRM -> {
                XfrmStateText t = sa.xfrm("192.0.2.2", "192.0.2.1", spi, "tunnel");
                if (c.plainAuthLine()) {
                    // What `ip xfrm state add ... auth 'hmac(sha256)' KEY` was given, as a file keeps it.
                    t.auth = new XfrmStateText.Algo("hmac(sha256)", t.authTrunc.key(), 0);
                    t.authTrunc = null;
                }
                yield EspToolsFixture.write(dir.resolve(name + ".xfrm"), t.render());
            }
            case ESP_SA -> EspToolsFixture.write(dir.resolve(name + ".esp_sa"),
                    sa.espSa("192.0.2.2", "192.0.2.1", String.format("0x%08x", spi)));
        };
    }

    private static void opens(Case c, SaTexts sa, Source source, long spi, Path capture, List<String> inner, Path dir) {
        Path keys = keys(c, sa, source, spi, dir);
        Path out = dir.resolve(keys.getFileName() + "-clear.pcap");
        EspToolsFixture.Cli run = (source == Source.CONFIG
                ? cli("pcap", "decrypt", "--config", keys, "--in", capture, "--out", out)
                : cli("pcap", "decrypt", "--sa-file", keys, "--in", capture, "--out", out)).expect(0);
        assertTrue(run.err().contains("packets in 3, out 3, dropped 0"), c.name() + ": " + run.err());
        String warning = switch (source) {
            case CONFIG -> c.configWarning();
            case IP_XFRM -> c.xfrmWarning();
            case ESP_SA -> c.espSaWarning();
        };
        if (warning != null) {
            assertTrue(run.err().contains(warning), run.err());
            String line = run.err().lines().filter(l -> l.contains(warning)).findFirst().orElseThrow();
            assertTrue(line.startsWith(keys + ":"), "names the file and line: " + line);
        }
        List<byte[]> got = frames(out);
        for (int i = 0; i < inner.size(); i++) {
            assertEquals(inner.get(i), HEX.formatHex(Arrays.copyOfRange(got.get(i), 14, got.get(i).length)),
                    c.name() + " packet " + i + ": the inner packet scapy encrypted");
        }
    }

    /**
     * tshark, given the esp_sa record {@code wireshark-keys} writes from the {@code ip xfrm} dump
     * (Wireshark's name for each transform, the key as read), checks the same ICVs and finds the
     * inner UDP datagrams.
     */
    private static void tsharkAgrees(Case c, SaTexts sa, long spi, Path capture, Path dir) throws IOException {
        Path wireshark = Files.createDirectories(dir.resolve("wireshark-" + spi));
        Path espSa = wireshark.resolve("esp_sa");
        cli("pcap", "wireshark-keys", "--sa-file", keys(c, sa, Source.IP_XFRM, spi, dir), "--out", espSa).expect(0);
        assertEquals(sa.espSa("192.0.2.2", "192.0.2.1", String.format("0x%08x", spi)).strip(),
                Files.readString(espSa).lines().filter(l -> !l.startsWith("#")).findFirst().orElseThrow(),
                "the record wireshark-keys writes");
        List<String[]> rows = EspToolsFixture.tshark(capture, wireshark,
                List.of("esp.enable_encryption_decode:TRUE", "esp.enable_authentication_check:TRUE"),
                "esp.icv_good", "esp.icv_bad", "udp.dstport");
        assertEquals(3, rows.size());
        for (String[] row : rows) {
            assertEquals("1", row[0], c.name() + ": tshark checked the ICV: " + String.join(" ", row));
            assertTrue(row[2].contains("7777"), c.name() + ": tshark decrypted the inner UDP: " + String.join(" ", row));
        }
    }

    /** What sends keeps the contract's rule: the same SAs as out SAs make a config run and encode refuse. */
    @Test
    void whatOnlyOpensIsRefusedByTheCommandsThatSend() throws IOException {
        Path dir = Files.createTempDirectory("legacy-esp-send");
        Path frames = dir.resolve("frames.pcap");
        EspToolsFixture.writeCapture(frames, frames(EspToolsFixture.root().resolve("test-pcaps/tenant-blue.pcap")).subList(0, 2));
        record Refusal(String sa, String message) {}
        List<Refusal> refusals = List.of(
                new Refusal(EspToolsFixture.sa(0x1001, "out", "aes-cbc-128", null, new byte[16], "hmac-sha256-128",
                        new byte[20], "transport", null),
                        "security-associations[0].integrity-key: hmac-sha256-128 key is 20 bytes (expected 32 bytes, "
                                + "RFC 4868 section 2.1.1)"),
                new Refusal(EspToolsFixture.sa(0x1001, "out", "aes-cbc-128", null, new byte[16], "hmac-sha256-96",
                        new byte[32], "transport", null),
                        "security-associations[0].integrity: hmac-sha256-96 is opened by decode, decrypt, inspect and "
                                + "wireshark-keys but never sent"),
                new Refusal(EspToolsFixture.sa(0x1001, "out", "aes-ctr-128", null, new byte[20], "hmac-sha256-128",
                        new byte[32], "transport", null),
                        "security-associations[0].algorithm: aes-ctr-128 is opened by decode, decrypt, inspect and "
                                + "wireshark-keys but never sent"),
                new Refusal(EspToolsFixture.sa(0x1001, "out", "aes-cbc-256", null, new byte[32], null, null, "transport",
                        null), "security-associations[0].integrity: aes-cbc-256 needs an integrity algorithm"));
        for (Refusal r : refusals) {
            Path config = EspToolsFixture.write(dir.resolve("gw-a.yaml"),
                    EspToolsFixture.config("192.0.2.1", "192.0.2.2", true, r.sa()));
            EspToolsFixture.Cli encode = cli("pcap", "encode", "--config", config, "--in", frames, "--out",
                    dir.resolve("wire.pcap"), "--tenant", "blue").expect(2);
            assertTrue(encode.err().contains(r.message()), encode.err());
            assertTrue(cli("check", "--config", config).expect(2).err().contains(r.message()));
            EspToolsFixture.Cli reader = cli("check", "--config", config, "--for", "decrypt").expect(0);
            assertTrue(reader.out().contains("complete for: decode, decrypt, inspect, wireshark-keys (run and encode need")
                    || reader.err().contains("complete for: decode, decrypt, inspect, wireshark-keys (run and encode need"),
                    reader.out() + reader.err());
        }
    }
}
