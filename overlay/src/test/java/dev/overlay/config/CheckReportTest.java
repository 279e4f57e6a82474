package dev.overlay.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

class CheckReportTest {

    private static String render() throws Exception {
        ConfigResult r = ConfigLoader.load(Path.of(CheckReportTest.class.getResource("full.yaml").toURI()));
        return CheckReport.of(r).render();
    }

    @Test
    void reportShowsTheResolvedView() throws Exception {
        String text = render();
        for (String expected : new String[] {
                "gateway gw-a",
                "  address 192.0.2.1, mac 02:00:00:00:0a:01",
                "  esp-transport udp (esp-port 4500), vxlan-port 4789, geneve-port 6081",
                "  underlay-mtu 1500, workers 2, steering spi, metrics 127.0.0.1:9464",
                "  gw-b  192.0.2.2  mac 02:00:00:00:0b:01",
                "tenant blue\n  vni 1001, encapsulation vxlan, vlan 101, security esp\n  peers gw-b",
                "  fdb 02:00:00:00:00:02 -> gw-b",
                "  port tap tap-blue", "  port pcap veth-blue",
                "  port udp listen 127.0.0.1:7001 remote 127.0.0.1:7002",
                "  mtu 1408 (1500 - 20 ipv4 - 8 udp-encap - 8 esp - 8 iv - 8 udp - 8 vxlan - 14 eth - 2 esp-trailer"
                        + " - 16 icv = 1408, worst case: spi 0x00001001)",
                "tenant red\n  vni 1002, encapsulation geneve, vlan 102, security esp\n  peers gw-b, gw-c",
                "  geneve-option class 0x0102 type 0x01 data 0x0000000a",
                // red's worst out SA is the aes-cbc-256 tunnel-mode one (1364 < chacha's 1400).
                "  mtu 1364 (", "worst case: spi 0x00001002)",
                "  sa  spi         dir  peer  algorithm          icv  integrity        mode       esn  window",
                "      0x00001002  out  gw-b  aes-cbc-256        16   hmac-sha256-128  tunnel     yes  -       4294967296"
                        + "   1000000 packets/3600 s",
                "      0x00002002  in   gw-b  aes-gcm-128        12   -                transport  no   1024",
                "warnings\n  ",
                "tenants.red.peers[1]: warning: no in SA carries tenant red from peer gw-c"}) {
            assertTrue(text.contains(expected), () -> "missing:\n" + expected + "\nin:\n" + text);
        }
    }

    @Test
    void reportAndSaToStringNeverShowKeyMaterial() throws Exception {
        ConfigResult r = ConfigLoader.load(Path.of(CheckReportTest.class.getResource("full.yaml").toURI()));
        String text = CheckReport.of(r).render() + CheckReport.of(r).renderJson() + r.orThrow().securityAssociations();
        String lower = text.toLowerCase(Locale.ROOT);
        for (SaConfig sa : r.orThrow().securityAssociations()) {
            for (byte[] key : new byte[][] {sa.key(), sa.integrityKey()}) {
                if (key == null) {
                    continue;
                }
                String hex = HexFormat.of().formatHex(key);
                // No 4-byte run of any key in hex (either case: lower-cased text covers both) ...
                for (int i = 0; i + 8 <= hex.length(); i += 2) {
                    String run = hex.substring(i, i + 8);
                    assertFalse(lower.contains(run), () -> "key bytes " + run + " in output");
                }
                // ... nor as raw bytes.
                assertFalse(text.contains(new String(key, 0, 4, StandardCharsets.ISO_8859_1)));
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void jsonReportParsesAndCarriesTheSameView() throws Exception {
        ConfigResult r = ConfigLoader.load(Path.of(CheckReportTest.class.getResource("full.yaml").toURI()));
        String json = CheckReport.of(r).renderJson();
        // JSON is a subset of YAML 1.2, so snakeyaml-engine is an independent parser for it.
        Map<String, Object> root = (Map<String, Object>) new Load(LoadSettings.builder().build()).loadFromString(json);
        assertEquals("gw-a", ((Map<String, Object>) root.get("gateway")).get("name"));
        List<Map<String, Object>> tenants = (List<Map<String, Object>>) root.get("tenants");
        assertEquals(1001, tenants.get(0).get("vni"));
        assertEquals(1364, tenants.get(1).get("mtu"));
        List<Map<String, Object>> sas = (List<Map<String, Object>>) tenants.get(1).get("security-associations");
        assertEquals("0x00001002", sas.get(0).get("spi"));
        assertEquals("4294967296", sas.get(0).get("initial-sequence"));
        // The coverage warning, and one per counter-mode out SA (no state-dir in full.yaml).
        assertEquals(3, ((List<?>) root.get("warnings")).size());
        assertFalse(json.contains("key\""), json);
    }

    @Test
    void ipv6AddressesAreWrittenShort() {
        assertTrue(CheckReport.address(InetAddress.ofLiteral("2001:db8::2")).equals("2001:db8::2"));
        assertTrue(CheckReport.address(InetAddress.ofLiteral("2001:db8:0:1:0:0:0:1")).equals("2001:db8:0:1::1"));
        assertTrue(CheckReport.address(InetAddress.ofLiteral("::1")).equals("::1"));
        assertTrue(CheckReport.address(InetAddress.ofLiteral("fe80::")).equals("fe80::"));
    }
}
