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
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * An SA written as {@code ip xfrm state} prints it opens a capture made with that SA, with no
 * gateway config: for every transform {@code --sa-file} reads, the capture {@code pcap encode}
 * wrote and, where scapy has the transform, the one scapy's ESP wrote, decode back to the tenant's
 * frames. tshark, given the esp_sa records {@code wireshark-keys --sa-file} makes of the same
 * dump, decrypts them too (where tshark 4.0 has a decryptor).
 */
class XfrmRoundTripTest {

    /** A transform, as the config and scapy name it (null: scapy 2.5 does not have it). */
    record Transform(String algorithm, Integer icv, int keyLength, String integrity, int integrityKeyLength,
                     String scapyCrypt, String scapyAuth) {
        String label() {
            return algorithm + (icv != null ? "/" + icv : "") + (integrity != null ? "+" + integrity : "");
        }
    }

    static final List<Transform> TRANSFORMS = List.of(
            new Transform("aes-gcm-128", 16, 20, null, 0, "AES-GCM", null),
            new Transform("aes-gcm-256", 16, 36, null, 0, "AES-GCM", null),
            new Transform("aes-gcm-128", 8, 20, null, 0, null, null),
            new Transform("aes-gcm-256", 12, 36, null, 0, null, null),
            new Transform("aes-ccm-128", 16, 19, null, 0, "AES-CCM", null),
            new Transform("aes-ccm-256", 8, 35, null, 0, "AES-CCM", null),
            new Transform("aes-ccm-128", 12, 19, null, 0, "AES-CCM", null),
            new Transform("chacha20-poly1305", 16, 36, null, 0, "CHACHA20-POLY1305", null),
            new Transform("aes-gmac-128", 16, 20, null, 0, null, null),
            new Transform("aes-gmac-256", 16, 36, null, 0, null, null),
            new Transform("aes-cbc-128", null, 16, "hmac-sha256-128", 32, "AES-CBC", "SHA2-256-128"),
            new Transform("aes-cbc-256", null, 32, "hmac-sha384-192", 48, "AES-CBC", "SHA2-384-192"),
            new Transform("aes-cbc-256", null, 32, "hmac-sha512-256", 64, "AES-CBC", "SHA2-512-256"),
            new Transform("null", null, 0, "hmac-sha256-128", 32, "NULL", "SHA2-256-128"),
            new Transform("null", null, 0, "hmac-sha512-256", 64, "NULL", "SHA2-512-256"));

    record Case(String name, Transform t, String mode, boolean ipv6, boolean udp, boolean esn, boolean stats,
                SaTexts out, SaTexts in, String gateway, String peer, Path dir) {}

    @TestFactory
    Stream<DynamicTest> anIpXfrmDumpOpensWhatItsSaProtected() throws IOException {
        Path dir = Files.createTempDirectory("xfrm-round-trip");
        List<byte[]> all = frames(EspToolsFixture.root().resolve("test-pcaps/tenant-blue.pcap"));
        List<byte[]> input = List.of(all.get(0), all.get(2), all.get(5), all.get(6));
        Path frames = dir.resolve("frames.pcap");
        EspToolsFixture.writeCapture(frames, input);
        Random random = new Random(4301);
        ObjectMapper json = new ObjectMapper();
        ObjectNode spec = json.createObjectNode();
        ArrayNode specCases = spec.putArray("cases");
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i < TRANSFORMS.size(); i++) {
            Transform t = TRANSFORMS.get(i);
            // One case per transform, the variants spread over them: mode, family, ESP in UDP,
            // ESN, and ip -s against plain ip.
            String mode = i % 2 == 0 ? "tunnel" : "transport";
            boolean ipv6 = i % 3 == 1;
            boolean udp = i % 4 < 2;
            boolean esn = i % 5 == 3;
            boolean stats = i % 2 == 1;
            SaTexts out = new SaTexts(t.algorithm(), t.icv(), EspToolsFixture.randomBytes(random, t.keyLength()),
                    t.integrity(), t.integrity() == null ? null : EspToolsFixture.randomBytes(random, t.integrityKeyLength()));
            SaTexts in = new SaTexts(t.algorithm(), t.icv(), EspToolsFixture.randomBytes(random, t.keyLength()),
                    t.integrity(), t.integrity() == null ? null : EspToolsFixture.randomBytes(random, t.integrityKeyLength()));
            String name = t.label() + " " + mode + (ipv6 ? " IPv6" : " IPv4") + (udp ? " ESP-in-UDP" : " ESP")
                    + (esn ? " ESN" : "") + (stats ? " ip -s" : "");
            Path caseDir = Files.createDirectories(dir.resolve(name.replaceAll("[^A-Za-z0-9]+", "_")));
            Case c = new Case(name, t, mode, ipv6, udp, esn, stats, out, in, ipv6 ? "2001:db8::1" : "192.0.2.1",
                    ipv6 ? "2001:db8::2" : "192.0.2.2", caseDir);
            String extra = esn ? "esn: true" : null;
            String sas = EspToolsFixture.sa(0x1001 + i, "out", t.algorithm(), t.icv(), out.key(), t.integrity(),
                    out.integrityKey(), mode, extra);
            Path config = EspToolsFixture.write(caseDir.resolve("gw-a.yaml"),
                    EspToolsFixture.config(c.gateway(), c.peer(), udp, sas));
            cli("pcap", "encode", "--config", config, "--in", frames, "--out", caseDir.resolve("ours.pcap"),
                    "--tenant", "blue").expect(0);
            // Both SAs of the host, as the gateway's ip xfrm state would list them.
            EspToolsFixture.write(caseDir.resolve("states.txt"),
                    xfrm(c, out, c.gateway(), c.peer(), 0x1001 + i) + xfrm(c, in, c.peer(), c.gateway(), 0x2001 + i));
            cases.add(c);
            if (t.scapyCrypt() != null && !esn) {
                ObjectNode s = specCases.addObject();
                s.put("name", name).put("ipv6", ipv6).put("udp", udp).put("mode", mode)
                        .put("crypt", t.scapyCrypt()).put("auth", t.scapyAuth())
                        .put("gateway", c.gateway()).put("peer", c.peer()).put("vni", 1001)
                        .put("out_spi", 0x1001 + i).put("in_spi", 0x2001 + i)
                        .put("out_key", HEX.formatHex(out.key())).put("in_key", HEX.formatHex(in.key()))
                        .put("out_integrity_key", out.integrityKey() == null ? null : HEX.formatHex(out.integrityKey()))
                        .put("in_integrity_key", in.integrityKey() == null ? null : HEX.formatHex(in.integrityKey()))
                        .put("ours", caseDir.resolve("ours.pcap").toString())
                        .put("theirs", caseDir.resolve("theirs.pcap").toString());
                if (t.icv() != null) {
                    s.put("icv", t.icv());
                }
                ArrayNode f = s.putArray("frames");
                input.forEach(b -> f.add(HEX.formatHex(b)));
            }
        }
        Path specFile = dir.resolve("spec.json");
        json.writeValue(specFile.toFile(), spec);
        JsonNode scapy = json.readTree(EspToolsFixture.run(List.of(EspToolsFixture.PYTHON,
                EspToolsFixture.resource("esp_interop.py").toString(), specFile.toString()), Map.of()));
        assertTrue(scapy.size() >= 10, "scapy made captures for most transforms: " + scapy.size());

        List<DynamicTest> tests = new ArrayList<>();
        for (Case c : cases) {
            tests.add(DynamicTest.dynamicTest("ours, opened by ip xfrm: " + c.name(),
                    () -> opens(c, c.dir().resolve("ours.pcap"), input)));
            if (scapy.has(c.name())) {
                tests.add(DynamicTest.dynamicTest("scapy's, opened by ip xfrm: " + c.name(),
                        () -> opens(c, c.dir().resolve("theirs.pcap"), input)));
            }
            if (c.out().tshark40Decrypts() && !c.esn()) {
                tests.add(DynamicTest.dynamicTest("tshark, with wireshark-keys of the dump: " + c.name(),
                        () -> tsharkOpens(c, input)));
            }
        }
        return tests.stream();
    }

    private static String xfrm(Case c, SaTexts sa, String src, String dst, long spi) {
        XfrmStateText t = sa.xfrm(src, dst, spi, c.mode());
        t.stats = c.stats();
        t.esn = c.esn();
        t.afUnspec = c.esn();
        if (c.esn()) {
            t.window = 128;
        }
        if (c.udp()) {
            t.encapSport = 4500;
            t.encapDport = 4500;
        }
        return t.render();
    }

    /** decode with the dump alone writes the tenant's frames; decrypt leaves the VXLAN datagrams in the clear. */
    private static void opens(Case c, Path capture, List<byte[]> input) {
        Path states = c.dir().resolve("states.txt");
        Path back = capture.resolveSibling(capture.getFileName() + "-frames.pcap");
        EspToolsFixture.Cli run = cli("pcap", "decode", "--sa-file", states, "--in", capture, "--out", back).expect(0);
        assertTrue(run.err().contains("packets in 4, out 4, dropped 0"), c.name() + ": " + run.err());
        assertTrue(run.err().contains("decode: tenant check not applied: without --config there are no tenants, so "
                + "all 4 decapsulated frames were written"), run.err());
        List<byte[]> out = frames(back);
        for (int i = 0; i < input.size(); i++) {
            assertArrayEquals(input.get(i), out.get(i), c.name() + " frame " + i);
        }
        Path clear = capture.resolveSibling(capture.getFileName() + "-clear.pcap");
        EspToolsFixture.Cli decrypted = cli("pcap", "decrypt", "--sa-file", states, "--in", capture, "--out", clear)
                .expect(0);
        assertTrue(decrypted.err().contains("packets in 4, out 4, dropped 0"), decrypted.err());
        List<byte[]> packets = frames(clear);
        for (int i = 0; i < input.size(); i++) {
            assertTrue(endsWith(packets.get(i), input.get(i)), c.name() + " packet " + i + " ends with the frame");
        }
    }

    private void tsharkOpens(Case c, List<byte[]> input) throws IOException {
        Path wireshark = Files.createDirectories(c.dir().resolve("wireshark"));
        Path espSa = wireshark.resolve("esp_sa");
        cli("pcap", "wireshark-keys", "--sa-file", c.dir().resolve("states.txt"), "--out", espSa).expect(0);
        List<String[]> rows = EspToolsFixture.tshark(c.dir().resolve("ours.pcap"), wireshark,
                List.of("esp.enable_encryption_decode:TRUE", "esp.enable_authentication_check:TRUE"),
                "vxlan.vni", "esp.icv_good", "esp.icv_bad", "eth.src");
        assertEquals(input.size(), rows.size());
        for (int i = 0; i < rows.size(); i++) {
            String[] row = rows.get(i);
            assertEquals("1001", row[0], c.name() + " packet " + i + ": tshark found the VNI");
            if (c.t().integrity() != null) {
                assertEquals("1", row[1], c.name() + " packet " + i + ": tshark checked the HMAC");
            }
            assertTrue(!"1".equals(row[2]), c.name() + ": no bad ICV");
        }
    }

    private static boolean endsWith(byte[] packet, byte[] frame) {
        if (packet.length < frame.length) {
            return false;
        }
        for (int i = 0; i < frame.length; i++) {
            if (packet[packet.length - frame.length + i] != frame[i]) {
                return false;
            }
        }
        return true;
    }
}
