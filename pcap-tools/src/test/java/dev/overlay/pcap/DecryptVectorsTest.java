package dev.overlay.pcap;

import static dev.overlay.pcap.EspToolsFixture.HEX;
import static dev.overlay.pcap.EspToolsFixture.cli;
import static dev.overlay.pcap.EspToolsFixture.frames;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The published ESP packets of shared/vectors/esp_vectors.json (OpenDataPlane's, SPI 123
 * included, and RFC 7634's) through {@code pcap decrypt}, each in a capture of its own, with its
 * SA given four ways: a config of that one inbound SA (no out SA), an {@code ip xfrm state}
 * dump, an {@code ip -s xfrm state} dump, and a Wireshark {@code esp_sa} file. Each decrypts to
 * the plaintext the source publishes; the deliberately corrupted packet is dropped as
 * {@code integrity} and the dummy one as {@code dummy}; the packet with SPI 0 (RFC 4303: never
 * on the wire) is refused with that reason whichever way its SA is given. tshark, given the
 * same esp_sa file, finds the same plaintext (and the same corruption) where 4.0 can decrypt.
 */
class DecryptVectorsTest {

    enum Source { CONFIG, IP_XFRM, IP_S_XFRM, ESP_SA }

    static List<JsonNode> vectors() throws IOException {
        JsonNode root = new ObjectMapper().readTree(EspToolsFixture.shared().resolve("vectors/esp_vectors.json").toFile());
        List<JsonNode> all = new ArrayList<>();
        root.get("vectors").forEach(all::add);
        return all;
    }

    /** The SA of a vector, named as the config names it. */
    static SaTexts sa(JsonNode v) {
        String id = v.get("alg_id").asText();
        int bits = v.get("key_bits").asInt();
        byte[] key = v.hasNonNull("key_hex")
                ? HEX.parseHex(v.get("key_hex").asText() + v.get("salt_hex").asText()) : new byte[0];
        int icv = v.get("icv_len").asInt();
        return switch (id) {
            case "aes-gcm" -> new SaTexts("aes-gcm-" + bits, icv, key, null, null);
            case "aes-gmac" -> new SaTexts("aes-gmac-" + bits, icv, key, null, null);
            case "chacha20-poly1305" -> new SaTexts("chacha20-poly1305", icv, key, null, null);
            case "null-hmac-sha256-128" -> new SaTexts("null", null, key, "hmac-sha256-128",
                    HEX.parseHex(v.get("auth_key_hex").asText()));
            default -> throw new IllegalStateException(v.get("name").asText() + ": algorithm " + id);
        };
    }

    /** The vector's packet as a captured frame: RFC 7634's bare IP packet gets an Ethernet header. */
    static byte[] frame(JsonNode v) {
        byte[] outer = HEX.parseHex(v.get("outer_packet_hex").asText());
        if (v.get("outer_packet_layers").asText().startsWith("Ethernet")) {
            return outer;
        }
        byte[] frame = new byte[14 + outer.length];
        byte[] eth = HEX.parseHex("020000000a01020000000b01" + ((outer[0] >>> 4) == 6 ? "86dd" : "0800"));
        System.arraycopy(eth, 0, frame, 0, 14);
        System.arraycopy(outer, 0, frame, 14, outer.length);
        return frame;
    }

    @TestFactory
    Stream<DynamicTest> everyPublishedEspPacketOpensWithItsSaFromEverySource() throws IOException {
        Path dir = Files.createTempDirectory("decrypt-vectors");
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode v : vectors()) {
            for (Source source : Source.values()) {
                if (source == Source.ESP_SA && sa(v).espSa("*", "*", "1") == null) {
                    continue; // AES-GMAC: Wireshark has no name for it, so no esp_sa record can hold it
                }
                tests.add(DynamicTest.dynamicTest(v.get("name").asText() + " via " + source,
                        () -> decrypts(v, source, dir)));
            }
        }
        assertEquals(19 * 4 - 2, tests.size(), "19 vectors, 4 sources each, but the 2 GMAC ones not in esp_sa");
        return tests.stream();
    }

    private static void decrypts(JsonNode v, Source source, Path dir) {
        String name = v.get("name").asText() + "-" + source;
        byte[] frame = frame(v);
        boolean ipv6 = (frame[14] >>> 4) == 6;
        String src = address(frame, ipv6 ? 14 + 8 : 14 + 12, ipv6 ? 16 : 4);
        String dst = address(frame, ipv6 ? 14 + 24 : 14 + 16, ipv6 ? 16 : 4);
        long spi = v.get("spi").asLong();
        String mode = v.get("mode").asText().startsWith("tunnel") ? "tunnel" : "transport";
        Path keys = keys(v, source, dir, name, src, dst, spi, mode);
        Path in = dir.resolve(name + ".pcap");
        Path out = dir.resolve(name + "-clear.pcap");
        if (!ipv6 && checksum(frame, 14) != 0) {
            // One ODP packet (mcgrew test 12) carries a wrong IPv4 header checksum. A receiver
            // drops such a header before ESP, so decrypt leaves the packet as it is; the ESP
            // inside is then checked with the checksum put right.
            EspToolsFixture.writeCapture(in, List.of(frame));
            EspToolsFixture.Cli copied = run(source, keys, in, out).expect(0);
            assertTrue(copied.err().contains("packets in 1, out 1, dropped 0"), copied.err());
            assertArrayEquals(frame, frames(out).get(0), name + ": copied unchanged");
            frame = frame.clone();
            frame[24] = 0;
            frame[25] = 0;
            int sum = checksum(frame, 14);
            frame[24] = (byte) (sum >>> 8);
            frame[25] = (byte) sum;
        }
        EspToolsFixture.writeCapture(in, List.of(frame));
        if (spi == 0) {
            // RFC 4303 section 2.1: SPI 0 is never on the wire; no source of keys may name it.
            EspToolsFixture.Cli refused = run(source, keys, in, out).expect(2);
            assertTrue(refused.err().contains("reserved") && refused.err().contains("RFC 4303 section 2.1 keeps it "
                    + "for local, implementation-specific use and it must not be sent on the wire"), refused.err());
            if (source != Source.CONFIG) {
                assertEquals(1, refused.err().strip().lines().count(), "one sentence: " + refused.err());
                assertTrue(refused.err().startsWith("overlay: " + keys + ":"), "names the file: " + refused.err());
            }
            return;
        }
        EspToolsFixture.Cli run = run(source, keys, in, out).expect(0);
        if (v.get("expect").asText().equals("integrity_failure")) {
            assertTrue(run.err().contains("packets in 1, out 0, dropped 1 (integrity=1)"), run.err());
            return;
        }
        if (v.get("next_header").asInt() == 59) {
            // RFC 4303 section 2.6: a dummy packet is authenticated, then discarded.
            assertTrue(run.err().contains("packets in 1, out 0, dropped 1 (dummy=1)"), run.err());
            return;
        }
        assertTrue(run.err().contains("packets in 1, out 1, dropped 0"), run.err());
        assertEquals(spi < 256, run.err().contains("warning: spi " + spi + " (0x" + Long.toHexString(spi)
                + ") is in 1..255, reserved for IANA"), run.err());
        byte[] got = frames(out).get(0);
        assertArrayEquals(expected(v, frame, mode), got, name + ": the published plaintext");
        byte[] reference = reference(v, frame, mode);
        if (reference != null) {
            assertArrayEquals(reference, got, name + ": the source's own plaintext packet");
        }
    }

    /** The keys of the vector's SA written for {@code source}. */
    private static Path keys(JsonNode v, Source source, Path dir, String name, String src, String dst, long spi,
                             String mode) {
        SaTexts sa = sa(v);
        return switch (source) {
            case CONFIG -> {
                // This gateway is the packet's destination; the file holds only its inbound SA.
                String line = EspToolsFixture.sa(spi, "in", sa.algorithm(), sa.icv(), sa.key(), sa.integrity(),
                        sa.integrityKey(), mode, null);
                yield EspToolsFixture.write(dir.resolve(name + ".yaml"),
                        EspToolsFixture.config(dst, src, v.get("udp_encap").asBoolean(), line));
            }
            case IP_XFRM, IP_S_XFRM -> {
                XfrmStateText t = sa.xfrm(src, dst, spi, mode);
                t.stats = source == Source.IP_S_XFRM;
                if (t.stats) {
                    t.window = 128; // beyond 32: the window is in the ESN replay state, as Linux puts it
                    t.afUnspec = true;
                }
                if (v.get("udp_encap").asBoolean()) {
                    t.encapSport = 4500;
                    t.encapDport = 4500;
                }
                yield EspToolsFixture.write(dir.resolve(name + ".xfrm"), t.render());
            }
            case ESP_SA -> EspToolsFixture.write(dir.resolve(name + ".esp_sa"),
                    "# Wireshark ESP SAs\n" + sa.espSa(src, dst, String.format("0x%08x", spi)));
        };
    }

    private static EspToolsFixture.Cli run(Source source, Path keys, Path in, Path out) {
        return source == Source.CONFIG
                ? cli("pcap", "decrypt", "--config", keys, "--in", in, "--out", out)
                : cli("pcap", "decrypt", "--sa-file", keys, "--in", in, "--out", out);
    }

    /**
     * What decrypt must write, from the published pieces: tunnel mode, the frame's Ethernet header
     * retyped then the inner packet; transport mode, the outer Ethernet and IP headers (any UDP
     * 4500 header gone, the protocol or last next header set to ESP's next header, lengths and
     * IPv4 checksum rewritten) then the payload.
     */
    static byte[] expected(JsonNode v, byte[] frame, String mode) {
        byte[] payload = HEX.parseHex(v.get("payload_without_trailer_hex").asText());
        int nextHeader = v.get("next_header").asInt();
        if (mode.equals("tunnel")) {
            byte[] out = new byte[14 + payload.length];
            System.arraycopy(frame, 0, out, 0, 12);
            out[12] = (byte) (nextHeader == 41 ? 0x86 : 0x08);
            out[13] = (byte) (nextHeader == 41 ? 0xdd : 0x00);
            System.arraycopy(payload, 0, out, 14, payload.length);
            return out;
        }
        boolean ipv6 = (frame[14] >>> 4) == 6;
        int headers;
        int nextHeaderField;
        if (ipv6) {
            headers = 40;
            nextHeaderField = 14 + 6;
            int next = frame[14 + 6] & 0xFF;
            while (next != 50 && next != 17) {
                nextHeaderField = 14 + headers;
                next = frame[14 + headers] & 0xFF;
                headers += ((frame[14 + headers + 1] & 0xFF) + 1) * 8;
            }
        } else {
            headers = (frame[14] & 0x0F) * 4;
            nextHeaderField = 14 + 9;
        }
        byte[] out = new byte[14 + headers + payload.length];
        System.arraycopy(frame, 0, out, 0, 14 + headers);
        System.arraycopy(payload, 0, out, 14 + headers, payload.length);
        out[nextHeaderField] = (byte) nextHeader;
        if (ipv6) {
            int length = headers - 40 + payload.length;
            out[14 + 4] = (byte) (length >>> 8);
            out[14 + 5] = (byte) length;
        } else {
            int length = headers + payload.length;
            out[14 + 2] = (byte) (length >>> 8);
            out[14 + 3] = (byte) length;
            out[14 + 10] = 0;
            out[14 + 11] = 0;
            int sum = checksum(out, 14);
            out[14 + 10] = (byte) (sum >>> 8);
            out[14 + 11] = (byte) sum;
        }
        return out;
    }

    /**
     * The source's own plaintext packet behind the Ethernet header, when the vector says the
     * decrypted packet is it (ODP's inner packets; RFC 7634's inner ICMP packet), else null.
     */
    private static byte[] reference(JsonNode v, byte[] frame, String mode) {
        String detail = v.get("verified").get("detail").asText();
        String hex = v.hasNonNull("inner_reference_packet_hex") ? v.get("inner_reference_packet_hex").asText()
                : v.hasNonNull("inner_packet_hex") ? v.get("inner_packet_hex").asText() : null;
        // ODP's transport vectors say whether the payload is their plaintext packet's tail; the
        // UDP one is not (ODP leaves its UDP checksum for the sender to fill in).
        if (hex == null || (v.hasNonNull("inner_reference_packet_hex") && !detail.endsWith("packet: True"))) {
            return null;
        }
        byte[] inner = HEX.parseHex(hex);
        byte[] out = new byte[14 + inner.length];
        System.arraycopy(frame, 0, out, 0, 12);
        boolean six = (inner[0] >>> 4) == 6;
        out[12] = (byte) (six ? 0x86 : 0x08);
        out[13] = (byte) (six ? 0xdd : 0x00);
        System.arraycopy(inner, 0, out, 14, inner.length);
        return out;
    }

    /** RFC 1071 over the IPv4 header at {@code at}: 0 when its checksum field is right. */
    static int checksum(byte[] frame, int at) {
        int length = (frame[at] & 0x0F) * 4;
        int sum = 0;
        for (int i = 0; i < length; i += 2) {
            sum += ((frame[at + i] & 0xFF) << 8) | (frame[at + i + 1] & 0xFF);
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return ~sum & 0xFFFF;
    }

    static String address(byte[] frame, int at, int length) {
        try {
            return java.net.InetAddress.getByAddress(Arrays.copyOfRange(frame, at, at + length)).getHostAddress();
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void theVectorFileHasThePacketsThisTestNeeds() throws IOException {
        List<JsonNode> all = vectors();
        assertEquals(19, all.size());
        assertEquals(12, all.stream().filter(v -> v.get("spi").asLong() == 123).count(), "OpenDataPlane's SPI 123");
        assertEquals(1, all.stream().filter(v -> v.get("expect").asText().equals("integrity_failure")).count());
        assertTrue(all.stream().allMatch(v -> v.hasNonNull("outer_packet_hex")));
        assertFalse(all.stream().anyMatch(v -> v.get("esn").asBoolean()));
    }

    /**
     * tshark 4.0, given the same esp_sa file, decrypts each packet it has a decryptor for to the
     * same plaintext decrypt wrote, checks the HMAC where there is one, and finds the corrupted
     * packet's ICV bad, as decrypt does.
     */
    @TestFactory
    Stream<DynamicTest> tsharkOpensTheSamePacketsToTheSameBytes() throws IOException {
        Path dir = Files.createTempDirectory("decrypt-vectors-tshark");
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode v : vectors()) {
            SaTexts sa = sa(v);
            if (!sa.tshark40Decrypts() || v.get("spi").asLong() == 0) {
                continue;
            }
            tests.add(DynamicTest.dynamicTest(v.get("name").asText(), () -> tsharkAgrees(v, sa, dir)));
        }
        assertEquals(14, tests.size(), "the 11 NULL+HMAC and 4 AES-GCM vectors but the one with SPI 0");
        return tests.stream();
    }

    private static void tsharkAgrees(JsonNode v, SaTexts sa, Path dir) throws IOException {
        String name = v.get("name").asText() + "-tshark";
        byte[] frame = frame(v);
        boolean ipv6 = (frame[14] >>> 4) == 6;
        String src = address(frame, ipv6 ? 14 + 8 : 14 + 12, ipv6 ? 16 : 4);
        String dst = address(frame, ipv6 ? 14 + 24 : 14 + 16, ipv6 ? 16 : 4);
        if (!ipv6 && checksum(frame, 14) != 0) {
            return; // tshark, like decrypt, leaves ESP under a bad IPv4 checksum unopened
        }
        Path wireshark = Files.createDirectories(dir.resolve(name));
        Path espSa = EspToolsFixture.write(wireshark.resolve("esp_sa"),
                sa.espSa(src, dst, String.format("0x%08x", v.get("spi").asLong())));
        Path in = dir.resolve(name + ".pcap");
        Path out = dir.resolve(name + "-clear.pcap");
        EspToolsFixture.writeCapture(in, List.of(frame));
        EspToolsFixture.Cli ours = cli("pcap", "decrypt", "--sa-file", espSa, "--in", in, "--out", out).expect(0);
        List<String> options = List.of("esp.enable_encryption_decode:TRUE", "esp.enable_authentication_check:TRUE");
        String[] fields = EspToolsFixture.tshark(in, wireshark, options, "esp.icv_good", "esp.icv_bad", "esp.pad_len")
                .get(0);
        if (v.get("expect").asText().equals("integrity_failure")) {
            assertTrue(ours.err().contains("dropped 1 (integrity=1)"), ours.err());
            assertEquals("1", fields[1], "tshark finds the ICV bad too");
            return;
        }
        if (sa.integrity() != null) {
            assertEquals("1", fields[0], "tshark checked the HMAC");
        }
        byte[] theirs = tsharkDecrypted(in, wireshark, options);
        int padLength = Integer.parseInt(fields[2]);
        byte[] payload = Arrays.copyOf(theirs, theirs.length - padLength - 2);
        byte[] published = HEX.parseHex(v.get("payload_without_trailer_hex").asText());
        assertArrayEquals(published, payload, "tshark's plaintext is the published one");
        if (v.get("next_header").asInt() == 59) {
            assertTrue(ours.err().contains("dropped 1 (dummy=1)"), ours.err());
            return;
        }
        byte[] got = frames(out).get(0);
        assertArrayEquals(payload, Arrays.copyOfRange(got, got.length - payload.length, got.length),
                "decrypt wrote what tshark decrypted");
    }

    /** tshark's "Decrypted Data" of the capture's one packet (payload, padding, pad length, next header). */
    static byte[] tsharkDecrypted(Path capture, Path wireshark, List<String> options) {
        List<String> command = new ArrayList<>(List.of("tshark", "-n", "-r", capture.toString(), "-x"));
        for (String o : options) {
            command.addAll(List.of("-o", o));
        }
        String dump = EspToolsFixture.run(command, Map.of("WIRESHARK_CONFIG_DIR", wireshark.toString()));
        StringBuilder hex = null;
        for (String line : dump.lines().toList()) {
            if (line.startsWith("Decrypted Data (")) {
                hex = new StringBuilder();
            } else if (hex != null && line.matches("^[0-9a-f]{4}  .*")) {
                hex.append(line.substring(6, Math.min(line.length(), 6 + 48)).replace(" ", ""));
            } else if (hex != null) {
                break;
            }
        }
        assertTrue(hex != null, "tshark decrypted the packet:\n" + dump);
        return HEX.parseHex(hex);
    }
}
