package dev.overlay.pcap;

import static dev.overlay.pcap.EspToolsFixture.HEX;
import static dev.overlay.pcap.EspToolsFixture.cli;
import static dev.overlay.pcap.EspToolsFixture.frames;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import org.junit.jupiter.api.TestFactory;

/**
 * Wire interop with scapy's ESP ({@code SecurityAssociation}, python3-scapy): for every algorithm
 * both implement, in transport and tunnel mode, over IPv4 and IPv6, raw (protocol 50) and in UDP
 * 4500, scapy decrypts what {@code pcap encode} wrote to the tenant's frames, and
 * {@code pcap decode} recovers the frames from what scapy encrypted. scapy 2.5 has no AES-GMAC
 * and only 16-byte GCM tags; those are covered against the published vectors (DecryptVectorsTest
 * and the esp module).
 */
class ScapyEspInteropTest {
    /** One algorithm as the config and scapy name it. */
    record Algorithm(String config, Integer icv, int keyLength, String integrity, int integrityKeyLength,
                     String scapyCrypt, String scapyAuth) {
        String label() {
            return config + (icv != null ? "/" + icv : "") + (integrity != null ? "+" + integrity : "");
        }
    }

    static final List<Algorithm> ALGORITHMS = List.of(
            new Algorithm("aes-gcm-128", 16, 20, null, 0, "AES-GCM", null),
            // GCM with an 8- or 12-byte ICV is not shared: scapy 2.5 uses cryptography's AESGCM,
            // which only knows 16-byte tags. The esp module checks those against strongSwan's vectors.
            new Algorithm("aes-gcm-256", 16, 36, null, 0, "AES-GCM", null),
            new Algorithm("aes-ccm-128", 16, 19, null, 0, "AES-CCM", null),
            new Algorithm("aes-ccm-256", 8, 35, null, 0, "AES-CCM", null),
            new Algorithm("chacha20-poly1305", 16, 36, null, 0, "CHACHA20-POLY1305", null),
            new Algorithm("aes-cbc-128", null, 16, "hmac-sha256-128", 32, "AES-CBC", "SHA2-256-128"),
            new Algorithm("aes-cbc-256", null, 32, "hmac-sha384-192", 48, "AES-CBC", "SHA2-384-192"),
            new Algorithm("aes-cbc-256", null, 32, "hmac-sha512-256", 64, "AES-CBC", "SHA2-512-256"),
            new Algorithm("null", null, 0, "hmac-sha256-128", 32, "NULL", "SHA2-256-128"),
            new Algorithm("null", null, 0, "hmac-sha512-256", 64, "NULL", "SHA2-512-256"));

    record Case(String name, Algorithm algorithm, String mode, boolean ipv6, boolean udp, Path config, Path ours,
                Path theirs) {}

    @TestFactory
    Stream<DynamicTest> scapyAndWeReadEachOthersEsp() throws IOException {
        Path dir = Files.createTempDirectory("scapy-esp");
        // Four of blue's frames, from 60 to 1400 bytes, as the tenant's port would hand them in.
        List<byte[]> all = frames(EspToolsFixture.root().resolve("test-pcaps/tenant-blue.pcap"));
        List<byte[]> input = List.of(all.get(0), all.get(2), all.get(5), all.get(6));
        Path frames = dir.resolve("frames.pcap");
        EspToolsFixture.writeCapture(frames, input);

        ObjectMapper json = new ObjectMapper();
        ObjectNode spec = json.createObjectNode();
        ArrayNode specCases = spec.putArray("cases");
        List<Case> cases = new ArrayList<>();
        Random random = new Random(4303);
        for (Algorithm a : ALGORITHMS) {
            for (String mode : List.of("transport", "tunnel")) {
                for (boolean ipv6 : List.of(false, true)) {
                    for (boolean udp : List.of(true, false)) {
                        String name = a.label() + " " + mode + (ipv6 ? " IPv6" : " IPv4") + (udp ? " ESP-in-UDP" : " ESP");
                        String file = name.replaceAll("[^A-Za-z0-9]+", "_");
                        byte[] outKey = EspToolsFixture.randomBytes(random, a.keyLength());
                        byte[] inKey = EspToolsFixture.randomBytes(random, a.keyLength());
                        byte[] outIntegrity = a.integrity() == null ? null : EspToolsFixture.randomBytes(random, a.integrityKeyLength());
                        byte[] inIntegrity = a.integrity() == null ? null : EspToolsFixture.randomBytes(random, a.integrityKeyLength());
                        String gateway = ipv6 ? "2001:db8::1" : "192.0.2.1";
                        String peer = ipv6 ? "2001:db8::2" : "192.0.2.2";
                        String sas = EspToolsFixture.sa(0x1001, "out", a.config(), a.icv(), outKey, a.integrity(),
                                outIntegrity, mode, null)
                                + EspToolsFixture.sa(0x2001, "in", a.config(), a.icv(), inKey, a.integrity(),
                                inIntegrity, mode, null);
                        Case c = new Case(name, a, mode, ipv6, udp,
                                EspToolsFixture.write(dir.resolve(file + ".yaml"),
                                        EspToolsFixture.config(gateway, peer, udp, sas)),
                                dir.resolve(file + "-ours.pcap"), dir.resolve(file + "-theirs.pcap"));
                        cli("pcap", "encode", "--config", c.config(), "--in", frames, "--out", c.ours(),
                                "--tenant", "blue").expect(0);
                        cases.add(c);
                        ObjectNode s = specCases.addObject();
                        s.put("name", name).put("ipv6", ipv6).put("udp", udp).put("mode", mode)
                                .put("crypt", a.scapyCrypt()).put("auth", a.scapyAuth())
                                .put("gateway", gateway).put("peer", peer).put("vni", 1001)
                                .put("out_spi", 0x1001).put("in_spi", 0x2001)
                                .put("out_key", HEX.formatHex(outKey)).put("in_key", HEX.formatHex(inKey))
                                .put("out_integrity_key", outIntegrity == null ? null : HEX.formatHex(outIntegrity))
                                .put("in_integrity_key", inIntegrity == null ? null : HEX.formatHex(inIntegrity))
                                .put("ours", c.ours().toString()).put("theirs", c.theirs().toString());
                        if (a.icv() != null) {
                            s.put("icv", a.icv());
                        }
                        ArrayNode f = s.putArray("frames");
                        input.forEach(b -> f.add(HEX.formatHex(b)));
                    }
                }
            }
        }
        Path specFile = dir.resolve("spec.json");
        json.writeValue(specFile.toFile(), spec);
        String output = EspToolsFixture.run(List.of(EspToolsFixture.PYTHON,
                EspToolsFixture.resource("esp_interop.py").toString(), specFile.toString()), Map.of());
        JsonNode results = json.readTree(output);

        return cases.stream().flatMap(c -> Stream.of(
                DynamicTest.dynamicTest("scapy decrypts ours: " + c.name(), () -> scapyDecryptsOurs(c, results, input)),
                DynamicTest.dynamicTest("we decode scapy's: " + c.name(), () -> weDecodeScapys(c, input))));
    }

    private static void scapyDecryptsOurs(Case c, JsonNode results, List<byte[]> input) {
        JsonNode decrypted = results.get(c.name()).get("decrypted");
        assertEquals(input.size(), decrypted.size(), c.name());
        for (int i = 0; i < input.size(); i++) {
            String hex = decrypted.get(i).asText();
            assertTrue(!hex.startsWith("error"), c.name() + " packet " + i + ": scapy: " + hex);
            byte[] udp = HEX.parseHex(hex);
            assertEquals(4789, ((udp[2] & 0xFF) << 8) | (udp[3] & 0xFF), "UDP to the VXLAN port");
            assertEquals(udp.length, ((udp[4] & 0xFF) << 8) | (udp[5] & 0xFF), "UDP length");
            assertEquals(0x08, udp[8], "VXLAN I flag");
            assertEquals(1001, ((udp[12] & 0xFF) << 16) | ((udp[13] & 0xFF) << 8) | (udp[14] & 0xFF), "VNI");
            assertArrayEquals(input.get(i), Arrays.copyOfRange(udp, 16, udp.length), c.name() + " frame " + i);
        }
    }

    private static void weDecodeScapys(Case c, List<byte[]> input) {
        Path back = c.theirs().resolveSibling(c.theirs().getFileName() + "-frames.pcap");
        EspToolsFixture.Cli run = cli("pcap", "decode", "--config", c.config(), "--in", c.theirs(), "--out", back)
                .expect(0);
        assertTrue(run.err().contains("packets in 4, out 4, dropped 0"), c.name() + ": " + run.err());
        List<byte[]> out = frames(back);
        for (int i = 0; i < input.size(); i++) {
            assertArrayEquals(input.get(i), out.get(i), c.name() + " frame " + i);
        }
    }
}
