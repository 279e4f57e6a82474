package dev.overlay.pcap;

import static dev.overlay.pcap.EspToolsFixture.cli;
import static dev.overlay.pcap.EspToolsFixture.frames;
import static dev.overlay.pcap.EspToolsFixture.resource;
import static dev.overlay.pcap.EspToolsFixture.root;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pcap wireshark-keys} against the oracle it is written for: tshark 4.0, given only the
 * file the command wrote, decrypts {@code pcap encode}'s output to the input's frames, tenant by
 * tenant (VNI), and checks the HMAC where there is one.
 */
class WiresharkKeysTest {
    private static final List<String> DECRYPT = List.of("esp.enable_encryption_decode:TRUE",
            "esp.enable_authentication_check:TRUE");

    @TempDir
    Path dir;

    /** One input frame of a tenant: its VNI, and the frame as it must come out (802.1Q tag removed). */
    record Expected(int vni, byte[] frame) {}

    /** The tagged frames of test-pcaps/tenants-trunk.pcapng that belong to blue (101) or red (102). */
    static List<Expected> trunkFrames() {
        List<Expected> expected = new ArrayList<>();
        for (byte[] f : frames(root().resolve("test-pcaps/tenants-trunk.pcapng"))) {
            if (f.length < 18 || (f[12] & 0xFF) != 0x81 || f[13] != 0) {
                continue;
            }
            int vid = ((f[14] & 0x0F) << 8) | (f[15] & 0xFF);
            if (vid != 101 && vid != 102) {
                continue;
            }
            byte[] untagged = new byte[f.length - 4];
            System.arraycopy(f, 0, untagged, 0, 12);
            System.arraycopy(f, 16, untagged, 12, f.length - 16);
            expected.add(new Expected(vid == 101 ? 1001 : 1002, untagged));
        }
        return expected;
    }

    @Test
    void tsharkDecryptsAesGcm256EspInUdpWithTheWrittenKeys() throws IOException {
        assertTsharkDecryptsEncodeOutput(resource("tshark-gcm256-gw-a.yaml"), false);
    }

    @Test
    void tsharkDecryptsAndAuthenticatesNullWithHmacSha256OverIpv6TunnelMode() throws IOException {
        assertTsharkDecryptsEncodeOutput(resource("tshark-null-sha256-gw-a.yaml"), true);
    }

    private void assertTsharkDecryptsEncodeOutput(Path config, boolean hmac) throws IOException {
        Path wire = dir.resolve("wire.pcap");
        cli("pcap", "encode", "--config", config, "--in", root().resolve("test-pcaps/tenants-trunk.pcapng"),
                "--out", wire).expect(0);
        Path wireshark = Files.createDirectory(dir.resolve("wireshark"));
        Path keys = wireshark.resolve("esp_sa");
        EspToolsFixture.Cli written = cli("pcap", "wireshark-keys", "--config", config, "--out", keys).expect(0);
        assertTrue(written.err().contains("esp_sa"), written.err());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keys)));

        List<Expected> expected = trunkFrames();
        List<String[]> rows = EspToolsFixture.tshark(wire, wireshark, DECRYPT,
                "esp.spi", "vxlan.vni", "geneve.vni", "esp.icv_good", "esp.icv_bad");
        List<byte[]> decrypted = decryptedData(wire, wireshark);
        assertEquals(expected.size(), rows.size());
        assertEquals(expected.size(), decrypted.size(), "tshark decrypted every packet");
        for (int i = 0; i < rows.size(); i++) {
            String[] row = rows.get(i);
            Expected e = expected.get(i);
            int vni = e.vni() == 1001 ? Integer.parseInt(row[1]) : Integer.decode(row[2]);
            assertEquals(e.vni(), vni, "packet " + (i + 1) + " VNI");
            assertTrue(indexOf(decrypted.get(i), e.frame()) >= 0, "packet " + (i + 1) + ": the inner frame");
            if (hmac) {
                assertEquals("1", row[3], "packet " + (i + 1) + ": tshark checked the HMAC-SHA-256-128 ICV");
            }
            assertFalse("1".equals(row[4]), "packet " + (i + 1) + ": no bad ICV");
        }
    }

    @Test
    void tsharkWithoutTheKeysCannotReadTheTenantFrames() {
        Path wire = dir.resolve("wire.pcap");
        cli("pcap", "encode", "--config", resource("tshark-gcm256-gw-a.yaml"), "--in",
                root().resolve("test-pcaps/tenants-trunk.pcapng"), "--out", wire).expect(0);
        // The control for the test above: the VNIs come from the keys, not from the capture alone.
        List<String[]> rows = EspToolsFixture.tshark(wire, null, DECRYPT, "vxlan.vni", "geneve.vni");
        assertTrue(rows.stream().allMatch(r -> r[0].isEmpty() && r[1].isEmpty()));
    }

    @Test
    void recordsNameBothDirectionsWithGatewayAndPeerAddresses() {
        EspToolsFixture.Cli printed = cli("pcap", "wireshark-keys", "--config", resource("tshark-gcm256-gw-a.yaml"))
                .expect(0);
        List<String> records = printed.out().lines().filter(l -> !l.startsWith("#")).toList();
        assertEquals(List.of(
                "\"IPv4\",\"192.0.2.1\",\"192.0.2.2\",\"0x00001001\",\"AES-GCM with 16 octet ICV [RFC4106]\","
                        + "\"0x30c748bc7b865f986a7694f84a1149281d09994958a098ca108a93ecc91621dd05312975\",\"NULL\",\"\"",
                "\"IPv4\",\"192.0.2.1\",\"192.0.2.2\",\"0x00001002\",\"AES-GCM with 16 octet ICV [RFC4106]\","
                        + "\"0x76337b868a799be0192d7e9d2b926cfdf086798b351428e81992b19f7733c987270ecd8d\",\"NULL\",\"\"",
                "\"IPv4\",\"192.0.2.2\",\"192.0.2.1\",\"0x00002001\",\"AES-GCM with 16 octet ICV [RFC4106]\","
                        + "\"0xe996455ddb43c5021e90b87415ee5100928611e46038e2af1896f56270aff42c0bbf7181\",\"NULL\",\"\"",
                "\"IPv4\",\"192.0.2.2\",\"192.0.2.1\",\"0x00002002\",\"AES-GCM with 16 octet ICV [RFC4106]\","
                        + "\"0x570d5c33010e3ebee8a7d794937788b383ad33c8babc199a0790801de54ee19602a44dc6\",\"NULL\",\"\""),
                records);
    }

    @Test
    void algorithmsWiresharkCannotDecryptBecomeCommentsAndTheFileStillLoads() throws IOException {
        Random random = new Random(7);
        String sas = EspToolsFixture.sa(0x5001, "out", "aes-ccm-128", 16, EspToolsFixture.randomBytes(random, 19),
                null, null, "transport", null)
                + EspToolsFixture.sa(0x5002, "out", "chacha20-poly1305", 16, EspToolsFixture.randomBytes(random, 36),
                null, null, "transport", null)
                + EspToolsFixture.sa(0x5003, "in", "aes-gmac-256", 16, EspToolsFixture.randomBytes(random, 36),
                null, null, "transport", null)
                + EspToolsFixture.sa(0x5004, "in", "aes-cbc-256", null, EspToolsFixture.randomBytes(random, 32),
                "hmac-sha512-256", EspToolsFixture.randomBytes(random, 64), "transport", null);
        Path config = EspToolsFixture.write(dir.resolve("c.yaml"),
                EspToolsFixture.config("192.0.2.1", "192.0.2.2", true, sas));
        EspToolsFixture.Cli printed = cli("pcap", "wireshark-keys", "--config", config).expect(0);
        List<String> lines = printed.out().lines().toList();
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("# 0x00005001 out gw-b aes-ccm-128")), printed.out());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("# 0x00005002 out gw-b chacha20-poly1305")));
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("# 0x00005003 in gw-b aes-gmac-256")));
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("\"IPv4\",\"192.0.2.2\",\"192.0.2.1\",\"0x00005004\","
                + "\"AES-CBC [RFC3602]\",\"0x") && l.contains("\"HMAC-SHA-512-256 [RFC4868]\",\"0x")));
        // tshark refuses a file with a record it cannot parse; this one it reads without a word.
        Path wireshark = Files.createDirectory(dir.resolve("wireshark"));
        Files.writeString(wireshark.resolve("esp_sa"), printed.out());
        Path empty = dir.resolve("empty.pcap");
        EspToolsFixture.writeCapture(empty, List.of(new byte[60]));
        String[] output = EspToolsFixture.exec(List.of("tshark", "-n", "-r", empty.toString(),
                "-o", "esp.enable_encryption_decode:TRUE"), java.util.Map.of("WIRESHARK_CONFIG_DIR", wireshark.toString()));
        assertFalse(output[1].contains("esp_sa"), output[1]);
    }

    @Test
    void tsharkReportsARecordItCannotParse() throws IOException {
        // The control for the test above: tshark exits 0 either way but names the bad record.
        Path wireshark = Files.createDirectory(dir.resolve("wireshark"));
        Files.writeString(wireshark.resolve("esp_sa"), "\"IPv4\",\"*\",\"*\",\"0x00005001\",\"AES-CCM\",\"0x00\",\"NULL\",\"\"\n");
        Path empty = dir.resolve("empty.pcap");
        EspToolsFixture.writeCapture(empty, List.of(new byte[60]));
        String[] output = EspToolsFixture.exec(List.of("tshark", "-n", "-r", empty.toString(),
                "-o", "esp.enable_encryption_decode:TRUE"), java.util.Map.of("WIRESHARK_CONFIG_DIR", wireshark.toString()));
        assertTrue(output[1].contains("esp_sa:1"), output[1]);
    }

    @Test
    void withoutOutTheRecordsGoToStandardOutputAndNothingElseDoes() {
        EspToolsFixture.Cli printed = cli("pcap", "wireshark-keys", "--config", resource("tshark-gcm256-gw-a.yaml"))
                .expect(0);
        assertTrue(printed.out().lines().allMatch(l -> l.startsWith("#") || l.startsWith("\"IPv4\",")));
        assertTrue(printed.err().contains("esp_sa records 4"), printed.err());
        java.util.List<String> errLines = printed.err().strip().lines().toList();
        assertTrue(errLines.get(errLines.size() - 1).equals("packets in 0, out 0, dropped 0"), printed.err());
    }

    /** The "Decrypted Data" bytes tshark -x shows for each frame, in frame order. */
    private static List<byte[]> decryptedData(Path capture, Path wireshark) {
        List<String> command = new ArrayList<>(List.of("tshark", "-n", "-r", capture.toString(), "-x"));
        for (String o : DECRYPT) {
            command.addAll(List.of("-o", o));
        }
        String dump = EspToolsFixture.run(command, java.util.Map.of("WIRESHARK_CONFIG_DIR", wireshark.toString()));
        List<byte[]> out = new ArrayList<>();
        StringBuilder hex = null;
        for (String line : dump.lines().toList()) {
            if (line.startsWith("Decrypted Data (")) {
                hex = new StringBuilder();
                continue;
            }
            if (hex != null && line.matches("^[0-9a-f]{4}  .*")) {
                String bytes = line.substring(6, Math.min(line.length(), 6 + 48)).replace(" ", "");
                hex.append(bytes);
                continue;
            }
            if (hex != null) {
                out.add(EspToolsFixture.HEX.parseHex(hex));
                hex = null;
            }
        }
        if (hex != null) {
            out.add(EspToolsFixture.HEX.parseHex(hex));
        }
        return out;
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void indexOfFindsOnlyWholeFrames() {
        assertEquals(1, indexOf(new byte[] {0, 1, 2, 3}, new byte[] {1, 2}));
        assertEquals(-1, indexOf(new byte[] {0, 1, 2, 3}, new byte[] {2, 3, 4}));
        assertEquals(-1, indexOf(Arrays.copyOf(new byte[] {1}, 1), new byte[] {1, 1}));
    }
}
