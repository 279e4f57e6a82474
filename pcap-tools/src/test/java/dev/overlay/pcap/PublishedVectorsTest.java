package dev.overlay.pcap;

import static dev.overlay.pcap.EspToolsFixture.HEX;
import static dev.overlay.pcap.EspToolsFixture.cli;
import static dev.overlay.pcap.EspToolsFixture.frames;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The complete ESP packets others publish beyond OpenDataPlane's and RFC 7634's: DPDK's IPsec
 * test vectors (24 ESP packets: AES-GCM 128/192/256, AES-CCM, AES-CBC alone and with HMAC-MD5 and
 * HMAC-SHA-2, 3DES, DES, AES-CTR, NULL with AES-XCBC-MAC; SPIs 52, 58, 60, 100) and the 17 test
 * cases of draft-mcgrew-gcm-test-01 (AES-GCM 128/192/256 and GMAC, eleven with ESN up to
 * 2^64 - 1, one with SPI 0), copied as values into {@code vectors/} with their sources and
 * licences. Each is a one-packet capture decrypted with one command, its SA given as a
 * decrypt-only config, as {@code ip xfrm state} prints it and as a Wireshark {@code esp_sa}
 * record, and checked against the published plaintext. What overlay does not open (AES-XCBC-MAC,
 * SPI 0) fails with one sentence naming the file and line. tshark, given the same esp_sa, finds
 * the same plaintext where 4.0 can decrypt.
 */
class PublishedVectorsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> FILES = List.of("dpdk-ipsec-vectors.json", "draft-mcgrew-gcm-test-01.json");

    enum Source { CONFIG, IP_XFRM, ESP_SA }

    static List<JsonNode> vectors() throws IOException {
        List<JsonNode> all = new ArrayList<>();
        for (String file : FILES) {
            try (InputStream in = PublishedVectorsTest.class.getResourceAsStream("vectors/" + file)) {
                JSON.readTree(in).get("vectors").forEach(all::add);
            }
        }
        return all;
    }

    /** The vector's SA under the config's names (AES-XCBC-MAC as {@code aes-xcbc-mac-96}, which nothing here opens). */
    static SaTexts sa(JsonNode v) {
        String cipher = v.get("cipher").asText();
        int bits = v.get("key_bits").asInt();
        byte[] key = HEX.parseHex((v.hasNonNull("key_hex") ? v.get("key_hex").asText() : "")
                + (v.hasNonNull("salt_hex") ? v.get("salt_hex").asText() : ""));
        int icv = v.get("icv_len").asInt();
        String algorithm = switch (cipher) {
            case "3des-cbc", "des-cbc", "null" -> cipher;
            default -> cipher + "-" + bits;
        };
        if (cipher.equals("aes-gcm") || cipher.equals("aes-ccm") || cipher.equals("aes-gmac")) {
            return new SaTexts(algorithm, icv, key, null, null);
        }
        String auth = v.get("auth").isNull() ? null : v.get("auth").asText();
        String integrity = auth == null ? null : auth + "-" + icv * 8;
        return new SaTexts(algorithm, null, key, integrity, auth == null ? null : HEX.parseHex(v.get("auth_key_hex").asText()));
    }

    /** The capture's frame: DPDK's IP packet, or the draft's ESP packet behind an IPv4 header made here; then Ethernet. */
    static byte[] frame(JsonNode v) {
        byte[] ip;
        if (v.hasNonNull("outer_packet_hex")) {
            ip = HEX.parseHex(v.get("outer_packet_hex").asText());
        } else {
            byte[] esp = HEX.parseHex(v.get("esp_packet_hex").asText());
            ip = new byte[20 + esp.length];
            byte[] header = HEX.parseHex("450000000000400040320000c0000202c0000201");
            System.arraycopy(header, 0, ip, 0, 20);
            ip[2] = (byte) (ip.length >>> 8);
            ip[3] = (byte) ip.length;
            System.arraycopy(esp, 0, ip, 20, esp.length);
            byte[] framed = new byte[14 + 20];
            System.arraycopy(ip, 0, framed, 14, 20);
            int sum = DecryptVectorsTest.checksum(framed, 14);
            ip[10] = (byte) (sum >>> 8);
            ip[11] = (byte) sum;
        }
        byte[] frame = new byte[14 + ip.length];
        byte[] eth = HEX.parseHex("020000000a01020000000b01" + ((ip[0] >>> 4) == 6 ? "86dd" : "0800"));
        System.arraycopy(eth, 0, frame, 0, 14);
        System.arraycopy(ip, 0, frame, 14, ip.length);
        return frame;
    }

    private static boolean ipv6(byte[] frame) {
        return (frame[14] >>> 4) == 6;
    }

    static String src(byte[] frame) {
        return DecryptVectorsTest.address(frame, ipv6(frame) ? 14 + 8 : 14 + 12, ipv6(frame) ? 16 : 4);
    }

    static String dst(byte[] frame) {
        return DecryptVectorsTest.address(frame, ipv6(frame) ? 14 + 24 : 14 + 16, ipv6(frame) ? 16 : 4);
    }

    /** How a run must end when it cannot open the vector: the sentence's words (null: it opens). */
    private static String refusal(JsonNode v, Source source) {
        if (v.get("spi").asLong() == 0) {
            return "RFC 4303 section 2.1 keeps it for local, implementation-specific use and it must not be sent on the wire";
        }
        if ("aes-xcbc-mac".equals(v.get("auth").asText(null))) {
            return source == Source.CONFIG ? "integrity 'aes-xcbc-mac-96' is not one of"
                    : "auth-trunc xcbc(aes) is not supported: overlay opens";
        }
        return null;
    }

    @TestFactory
    Stream<DynamicTest> everyPacketOpensWithOneCommandFromEachKeySource() throws IOException {
        Path dir = Files.createTempDirectory("published-vectors");
        List<DynamicTest> tests = new ArrayList<>();
        int noEspSaName = 0;
        for (JsonNode v : vectors()) {
            for (Source source : Source.values()) {
                if (source == Source.ESP_SA && sa(v).espSa("*", "*", "1") == null) {
                    noEspSaName++; // AES-CCM, AES-GMAC, AES-XCBC-MAC: Wireshark's ESP has no name for them
                    continue;
                }
                tests.add(DynamicTest.dynamicTest(v.get("name").asText() + " via " + source, () -> decrypts(v, source, dir)));
            }
        }
        assertEquals(41 * 3 - 3, tests.size(), "41 packets, 3 sources, but 3 have no esp_sa name");
        assertEquals(3, noEspSaName);
        return tests.stream();
    }

    private static void decrypts(JsonNode v, Source source, Path dir) {
        String name = v.get("name").asText() + "-" + source;
        byte[] frame = frame(v);
        long spi = v.get("spi").asLong();
        String mode = v.get("mode").asText();
        boolean esn = v.get("esn").asBoolean();
        Path keys = keys(v, source, dir, name, frame);
        Path in = dir.resolve(name + ".pcap");
        Path out = dir.resolve(name + "-clear.pcap");
        EspToolsFixture.writeCapture(in, List.of(frame));
        EspToolsFixture.Cli run = source == Source.CONFIG
                ? cli("pcap", "decrypt", "--config", keys, "--in", in, "--out", out)
                : cli("pcap", "decrypt", "--sa-file", keys, "--in", in, "--out", out);
        String refusal = refusal(v, source);
        if (refusal != null) {
            run.expect(2);
            assertTrue(run.err().contains(refusal), run.err());
            // One sentence, naming the file and the line (a config's error adds its key path).
            String first = run.err().lines().filter(l -> l.contains(refusal)).findFirst().orElseThrow();
            assertTrue(first.contains(keys + ":"), "names the file and line: " + run.err());
            assertTrue(!run.err().contains("Exception") && !run.err().contains("\tat "), run.err());
            return;
        }
        run.expect(0);
        if (source == Source.ESP_SA && esn) {
            // Wireshark's esp_sa has no ESN: the high half is left out of the ICV, which then fails
            // (a low half of 0 is number 0 without ESN, which is never sent: a replay).
            String reason = v.get("seq").asLong() == 0 ? "replay=1" : "integrity=1";
            assertTrue(run.err().contains("packets in 1, out 0, dropped 1 (" + reason + ")"), run.err());
            return;
        }
        assertTrue(run.err().contains("packets in 1, out 1, dropped 0"), run.err());
        assertEquals(spi < 256, run.err().contains("warning: spi " + spi + " (0x" + Long.toHexString(spi)
                + ") is in 1..255, reserved for IANA"), run.err());
        byte[] got = frames(out).get(0);
        assertArrayEquals(DecryptVectorsTest.expected(v, frame, mode), got, name + ": the published plaintext");
        // And byte for byte what the source publishes: DPDK's inner packet (its one ingress vector
        // publishes the plaintext with its ESP trailer), the draft's plaintext with its trailer.
        int headers = mode.equals("tunnel") ? 14 : got.length - v.get("payload_without_trailer_hex").asText().length() / 2;
        byte[] payload = Arrays.copyOfRange(got, headers, got.length);
        String published = v.hasNonNull("plaintext_hex") ? v.get("plaintext_hex").asText() : v.get("inner_packet_hex").asText();
        assertTrue(published.startsWith(HEX.formatHex(payload)), name + ": " + HEX.formatHex(payload) + " in " + published);
        if (v.path("direction_in_source").asText().equals("egress")) {
            assertEquals(published, HEX.formatHex(payload), name + ": DPDK's inner packet");
        }
    }

    /** The vector's SA written for {@code source}: this host is the packet's destination. */
    private static Path keys(JsonNode v, Source source, Path dir, String name, byte[] frame) {
        SaTexts sa = sa(v);
        long spi = v.get("spi").asLong();
        String mode = v.get("mode").asText();
        boolean esn = v.get("esn").asBoolean();
        long seq64 = esn ? Long.parseUnsignedLong(v.get("seq64").asText()) : 0;
        return switch (source) {
            case CONFIG -> {
                // With ESN the config's initial-sequence (the highest number already seen) anchors it.
                String extra = esn ? "esn: true, initial-sequence: " + Long.toUnsignedString(seq64 - 1) : null;
                String line = EspToolsFixture.sa(spi, "in", sa.algorithm(), sa.icv(), sa.key(), sa.integrity(),
                        sa.integrityKey(), mode, extra);
                yield EspToolsFixture.write(dir.resolve(name + ".yaml"),
                        EspToolsFixture.config(dst(frame), src(frame), false, line));
            }
            case IP_XFRM -> {
                XfrmStateText t = sa.xfrm(src(frame), dst(frame), spi, mode);
                if (esn) {
                    // The receiver's dump, taken a little after this packet arrived.
                    t.esn = true;
                    t.seqIn = Long.compareUnsigned(seq64, -1001L) < 0 ? seq64 + 1000 : seq64;
                }
                yield EspToolsFixture.write(dir.resolve(name + ".xfrm"), t.render());
            }
            case ESP_SA -> EspToolsFixture.write(dir.resolve(name + ".esp_sa"),
                    "# Wireshark ESP SAs\n" + sa.espSa(src(frame), dst(frame), String.format("0x%08x", spi)));
        };
    }

    @Test
    void theVectorFilesHoldWhatTheirSourcesPublish() throws IOException {
        List<JsonNode> all = vectors();
        assertEquals(41, all.size());
        assertEquals(24, all.stream().filter(v -> v.get("name").asText().startsWith("dpdk-")).count());
        assertEquals(List.of(52L, 58L, 60L, 100L, 256L, 34661L, 42488L, 1244446691L),
                all.stream().filter(v -> v.get("name").asText().startsWith("dpdk-")).map(v -> v.get("spi").asLong())
                        .distinct().sorted().toList());
        assertEquals(11, all.stream().filter(v -> v.get("esn").asBoolean()).count());
        assertTrue(all.stream().allMatch(v -> v.get("verified").get("status").asText().equals("ok")));
        for (String file : FILES) {
            try (InputStream in = PublishedVectorsTest.class.getResourceAsStream("vectors/" + file)) {
                JsonNode source = JSON.readTree(in).get("source");
                assertTrue(source.hasNonNull("licence") && (source.hasNonNull("file") || source.hasNonNull("document")));
            }
        }
    }

    /**
     * tshark 4.0, given the same esp_sa, decrypts each packet it has a decryptor for (AES-GCM,
     * AES-CBC, AES-CTR, 3DES, DES, NULL; no ESN) to the published plaintext, and finds the HMAC
     * good where there is one: the transforms overlay only opens agree with an implementation
     * nobody here wrote.
     */
    @TestFactory
    Stream<DynamicTest> tsharkOpensTheSamePacketsToTheSameBytes() throws IOException {
        Path dir = Files.createTempDirectory("published-vectors-tshark");
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode v : vectors()) {
            SaTexts sa = sa(v);
            if (!sa.tshark40Decrypts() || sa.espSa("*", "*", "1") == null || v.get("esn").asBoolean()
                    || refusal(v, Source.ESP_SA) != null) {
                continue;
            }
            tests.add(DynamicTest.dynamicTest(v.get("name").asText(), () -> tsharkAgrees(v, sa, dir)));
        }
        assertEquals(22 + 4, tests.size(), "DPDK's 24 but CCM and XCBC; the draft's GCM without ESN but SPI 0");
        return tests.stream();
    }

    private static void tsharkAgrees(JsonNode v, SaTexts sa, Path dir) throws IOException {
        String name = v.get("name").asText() + "-tshark";
        byte[] frame = frame(v);
        Path wireshark = Files.createDirectories(dir.resolve(name));
        Path espSa = EspToolsFixture.write(wireshark.resolve("esp_sa"),
                sa.espSa(src(frame), dst(frame), String.format("0x%08x", v.get("spi").asLong())));
        Path in = dir.resolve(name + ".pcap");
        Path out = dir.resolve(name + "-clear.pcap");
        EspToolsFixture.writeCapture(in, List.of(frame));
        cli("pcap", "decrypt", "--sa-file", espSa, "--in", in, "--out", out).expect(0);
        List<String> options = List.of("esp.enable_encryption_decode:TRUE", "esp.enable_authentication_check:TRUE");
        String[] fields = EspToolsFixture.tshark(in, wireshark, options, "esp.icv_good").get(0);
        if (sa.integrity() != null) {
            assertEquals("1", fields[0], "tshark checked the HMAC");
        }
        // tshark's "Decrypted Data" is the whole plaintext: payload, padding, pad length, next header.
        String payloadHex = v.get("payload_without_trailer_hex").asText();
        int padLength = v.get("pad_length").asInt();
        StringBuilder plaintext = new StringBuilder(payloadHex);
        for (int i = 1; i <= padLength; i++) {
            plaintext.append(String.format("%02x", i));
        }
        plaintext.append(String.format("%02x%02x", padLength, v.get("next_header").asInt()));
        byte[] theirs = DecryptVectorsTest.tsharkDecrypted(in, wireshark, options);
        assertEquals(plaintext.toString(), HEX.formatHex(theirs), "tshark's plaintext is the published one");
        byte[] payload = HEX.parseHex(payloadHex);
        byte[] got = frames(out).get(0);
        assertArrayEquals(payload, Arrays.copyOfRange(got, got.length - payload.length, got.length),
                "decrypt wrote what tshark decrypted");
    }
}
