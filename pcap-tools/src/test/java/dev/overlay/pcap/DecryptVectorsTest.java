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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The published ESP packets of shared/vectors/esp_vectors.json (OpenDataPlane, RFC 7634) through
 * {@code pcap decrypt}, each in a capture of its own with a config holding its SA: the output is
 * the packet's own Ethernet header, retyped, then the inner IP packet the source publishes.
 */
class DecryptVectorsTest {

    static List<JsonNode> vectors() throws IOException {
        JsonNode root = new ObjectMapper().readTree(EspToolsFixture.shared().resolve("vectors/esp_vectors.json").toFile());
        List<JsonNode> all = new ArrayList<>();
        root.get("vectors").forEach(all::add);
        return all;
    }

    /** The config's algorithm name for a vector, or null when the config cannot express it. */
    static String algorithm(JsonNode v) {
        String id = v.get("alg_id").asText();
        int bits = v.get("key_bits").asInt();
        return switch (id) {
            case "aes-gcm" -> "aes-gcm-" + bits;
            case "aes-gmac" -> "aes-gmac-" + bits;
            case "chacha20-poly1305" -> "chacha20-poly1305";
            default -> null;
        };
    }

    @TestFactory
    Stream<DynamicTest> everyExpressiblePublishedEspPacketDecryptsToItsInnerPacket() throws IOException {
        Path dir = Files.createTempDirectory("decrypt-vectors");
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode v : vectors()) {
            long spi = v.get("spi").asLong();
            // SPIs 1..255 are reserved (RFC 4303 section 2.1) and config validation refuses them,
            // as it refuses 0: those packets cannot be named in a config, so they are left out
            // here only. The esp module's own tests run every one of them at the ESP level.
            if (spi < 256 || !v.hasNonNull("outer_packet_hex")) {
                continue;
            }
            tests.add(DynamicTest.dynamicTest(v.get("name").asText(), () -> decrypts(v, dir)));
        }
        assertTrue(tests.size() >= 5, "vectors with a usable SPI: " + tests.size());
        return tests.stream();
    }

    private static void decrypts(JsonNode v, Path dir) {
        String name = v.get("name").asText();
        String algorithm = algorithm(v);
        assertTrue(algorithm != null, name + ": an algorithm the config has");
        byte[] outer = HEX.parseHex(v.get("outer_packet_hex").asText());
        String layers = v.get("outer_packet_layers").asText();
        byte[] frame;
        if (layers.startsWith("Ethernet")) {
            frame = outer;
        } else {
            // A bare IP packet (RFC 7634's example): given the Ethernet header a capture needs.
            frame = new byte[14 + outer.length];
            byte[] eth = HEX.parseHex("020000000a01020000000b01" + ((outer[0] >>> 4) == 6 ? "86dd" : "0800"));
            System.arraycopy(eth, 0, frame, 0, 14);
            System.arraycopy(outer, 0, frame, 14, outer.length);
        }
        boolean ipv6 = (frame[14] >>> 4) == 6;
        int addressAt = ipv6 ? 14 + 8 : 14 + 12;
        int addressLength = ipv6 ? 16 : 4;
        String src = address(frame, addressAt, addressLength);
        String dst = address(frame, addressAt + addressLength, addressLength);
        byte[] key = HEX.parseHex(v.get("key_hex").asText() + v.get("salt_hex").asText());
        String mode = v.get("mode").asText().startsWith("tunnel") ? "tunnel" : "transport";
        boolean udp = v.get("udp_encap").asBoolean();
        // This gateway is the packet's destination, the SA an inbound one from its source.
        String sa = EspToolsFixture.sa(v.get("spi").asLong(), "in", algorithm, v.get("icv_len").asInt(), key,
                null, null, mode, null)
                // Validation wants every tenant sendable; this out SA is never used here.
                + EspToolsFixture.sa(0x7fff0001L, "out", "aes-gcm-128", 16, new byte[20], null, null, mode, null);
        Path config = EspToolsFixture.write(dir.resolve(name + ".yaml"), EspToolsFixture.config(dst, src, udp, sa));
        Path in = dir.resolve(name + ".pcap");
        Path out = dir.resolve(name + "-clear.pcap");
        if (!ipv6 && checksum(frame, 14) != 0) {
            // One ODP packet (mcgrew test 12) carries a wrong IPv4 header checksum. A receiver
            // drops such a header before ESP, so decrypt leaves the packet as it is; the ESP
            // inside is then checked with the checksum put right.
            EspToolsFixture.writeCapture(in, List.of(frame));
            EspToolsFixture.Cli copied = cli("pcap", "decrypt", "--config", config, "--in", in, "--out", out).expect(0);
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
        EspToolsFixture.Cli run = cli("pcap", "decrypt", "--config", config, "--in", in, "--out", out).expect(0);
        int nextHeader = v.get("next_header").asInt();
        if (nextHeader == 59) {
            // RFC 4303 section 2.6: a dummy packet is authenticated, then discarded.
            assertTrue(run.err().contains("packets in 1, out 0, dropped 1 (dummy=1)"), run.err());
            return;
        }
        assertTrue(run.err().contains("packets in 1, out 1, dropped 0"), run.err());
        byte[] inner = HEX.parseHex(v.hasNonNull("inner_reference_packet_hex")
                ? v.get("inner_reference_packet_hex").asText() : v.get("payload_without_trailer_hex").asText());
        assertEquals("tunnel", mode, name + ": every vector with a usable SPI is tunnel mode");
        byte[] expected = new byte[14 + inner.length];
        System.arraycopy(frame, 0, expected, 0, 12);
        expected[12] = (byte) ((inner[0] >>> 4) == 6 ? 0x86 : 0x08);
        expected[13] = (byte) ((inner[0] >>> 4) == 6 ? 0xdd : 0x00);
        System.arraycopy(inner, 0, expected, 14, inner.length);
        assertArrayEquals(expected, frames(out).get(0), name);
    }

    /** RFC 1071 over the IPv4 header at {@code at}: 0 when its checksum field is right. */
    private static int checksum(byte[] frame, int at) {
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

    private static String address(byte[] frame, int at, int length) {
        try {
            byte[] a = new byte[length];
            System.arraycopy(frame, at, a, 0, length);
            return java.net.InetAddress.getByAddress(a).getHostAddress();
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void theVectorFileHasThePacketsThisTestNeeds() throws IOException {
        long usable = vectors().stream().filter(v -> v.get("spi").asLong() >= 256).count();
        assertEquals(6, usable, "GCM-128, GCM-256, GCM dummy, GMAC and ChaCha20-Poly1305 twice");
    }
}
