package dev.overlay.config;

import static dev.overlay.config.Fixtures.BASE;
import static dev.overlay.config.Fixtures.assertError;
import static dev.overlay.config.Fixtures.assertValid;
import static dev.overlay.config.Fixtures.base;
import static dev.overlay.config.Fixtures.parse;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.esp.EspAlgorithm;
import dev.overlay.esp.IntegrityAlgorithm;
import dev.overlay.vtep.GeneveOption;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {

    private static Path resource(String name) throws URISyntaxException {
        return Path.of(ConfigLoaderTest.class.getResource(name).toURI());
    }

    @Test
    void fullContractConfigLoadsToTheExpectedRecords() throws Exception {
        ConfigResult r = ConfigLoader.load(resource("full.yaml"));
        OverlayConfig c = assertValid(r);

        assertEquals(new GatewayConfig("gw-a", InetAddress.ofLiteral("192.0.2.1"),
                Optional.of(Scalars.mac("02:00:00:00:0a:01")), GatewayConfig.EspTransport.UDP,
                4500, 4789, 6081, 1500, 2, GatewayConfig.Steering.SPI,
                Optional.of(new InetSocketAddress(InetAddress.ofLiteral("127.0.0.1"), 9464))), c.gateway());
        assertEquals(List.of("gw-b", "gw-c"), List.copyOf(c.peers().keySet()));
        assertEquals(new PeerConfig("gw-b", InetAddress.ofLiteral("192.0.2.2"),
                Optional.of(Scalars.mac("02:00:00:00:0b:01"))), c.peers().get("gw-b"));
        assertEquals(Optional.empty(), c.peers().get("gw-c").mac());

        assertEquals(List.of("blue", "red"), List.copyOf(c.tenants().keySet()));
        TenantConfig blue = c.tenants().get("blue");
        assertEquals(new TenantConfig("blue", 1001, TenantConfig.Encapsulation.VXLAN, OptionalInt.of(101),
                TenantConfig.Security.ESP, List.of("gw-b"),
                List.of(new FdbEntryConfig(Scalars.mac("02:00:00:00:00:02"), "gw-b")), List.of(),
                List.of(new PortConfig.TapPort("tap-blue", 1), new PortConfig.PcapPort("veth-blue"),
                        new PortConfig.UdpPort(new InetSocketAddress(InetAddress.ofLiteral("127.0.0.1"), 7001),
                                new InetSocketAddress(InetAddress.ofLiteral("127.0.0.1"), 7002)))), blue);
        TenantConfig red = c.tenants().get("red");
        assertEquals(TenantConfig.Encapsulation.GENEVE, red.encapsulation());
        assertEquals(List.of("gw-b", "gw-c"), red.peers());
        assertEquals(List.of(new GeneveOption(0x0102, 0x01, new byte[] {0, 0, 0, 0x0a})), red.geneveOptions());
        assertEquals(8, red.geneveOptionsLength());
        assertEquals(List.of(new PortConfig.TapPort("tap-red", 2)), red.ports());

        List<SaConfig> sas = c.securityAssociations();
        assertEquals(5, sas.size());
        SaConfig out = sas.get(0);
        assertEquals(new SaConfig(0x1001, SaConfig.Direction.OUT, "gw-b", List.of("blue"), EspAlgorithm.AES_GCM_256,
                16, HexFormat.of().parseHex(Fixtures.KEY_A.substring(2)), null, null, SaConfig.Mode.TRANSPORT,
                false, 0, 0, SaConfig.Lifetime.UNLIMITED), out);
        assertEquals(32, out.cipherKey().length);
        assertArrayEquals(HexFormat.of().parseHex("c9be4fa9fd5ec4fa".substring(8)), out.salt());
        assertEquals(2048, sas.get(1).replayWindow());
        SaConfig cbc = sas.get(2);
        assertEquals(EspAlgorithm.AES_CBC_256, cbc.algorithm());
        assertEquals(IntegrityAlgorithm.HMAC_SHA256_128, cbc.integrity());
        assertEquals(16, cbc.icvLength());
        assertEquals(32, cbc.integrityKey().length);
        assertEquals(SaConfig.Mode.TUNNEL, cbc.mode());
        assertTrue(cbc.esn());
        assertEquals(0x1_0000_0000L, cbc.initialSequence());
        assertEquals(new SaConfig.Lifetime(1_000_000, 0, 3600), cbc.lifetime());
        assertEquals(12, sas.get(3).icvLength());
        assertEquals(1024, sas.get(3).replayWindow());
        assertEquals(EspAlgorithm.CHACHA20_POLY1305, sas.get(4).algorithm());

        assertEquals(List.of(out), c.outboundSas("blue", "gw-b"));
        assertEquals(Optional.of(red), c.tenantByVni(1002));
        assertEquals(Optional.of(blue), c.tenantByVlan(101));
        // No in SA from gw-c for red: traffic from it would be dropped, which is worth a warning only.
        Fixtures.assertWarning(r, "tenants.red.peers[1]", "no in SA carries tenant red from peer gw-c");
    }

    @Test
    void minimalConfigTakesTheContractDefaults() {
        OverlayConfig c = assertValid(parse(BASE));
        GatewayConfig g = c.gateway();
        assertEquals(GatewayConfig.EspTransport.UDP, g.espTransport());
        assertEquals(List.of(4500, 4789, 6081, 1500), List.of(g.espPort(), g.vxlanPort(), g.genevePort(), g.underlayMtu()));
        assertEquals(Runtime.getRuntime().availableProcessors(), g.workers());
        assertEquals(GatewayConfig.Steering.SPI, g.steering());
        assertEquals(Optional.empty(), g.metrics());
        assertEquals(Optional.empty(), g.mac());
        TenantConfig blue = c.tenants().get("blue");
        assertEquals(TenantConfig.Encapsulation.VXLAN, blue.encapsulation());
        assertEquals(TenantConfig.Security.ESP, blue.security());
        assertEquals(OptionalInt.empty(), blue.vlan());
        SaConfig out = c.securityAssociations().get(0);
        SaConfig in = c.securityAssociations().get(1);
        assertEquals(16, out.icvLength());
        assertEquals(SaConfig.Mode.TRANSPORT, out.mode());
        assertFalse(out.esn());
        assertEquals(0, out.initialSequence());
        assertEquals(0, out.replayWindow());
        assertEquals(1024, in.replayWindow());
        assertEquals(SaConfig.Lifetime.UNLIMITED, in.lifetime());
    }

    @Test
    void flowStyleLoadsLikeBlockStyle() {
        String flow = """
                { gateway: { name: gw-a, address: 192.0.2.1 },
                  peers: { gw-b: { address: 192.0.2.2 } },
                  tenants: { blue: { vni: 1001, peers: [gw-b] } },
                  security-associations: [
                    { spi: 4097, direction: out, peer: gw-b, tenants: [blue], algorithm: aes-gcm-256, key: "%s" },
                    { spi: 8193, direction: in, peer: gw-b, tenants: [blue], algorithm: aes-gcm-256, key: "%s" } ] }
                """.formatted(Fixtures.KEY_A, Fixtures.KEY_B);
        OverlayConfig f = assertValid(parse(flow));
        OverlayConfig b = assertValid(parse(BASE));
        assertEquals(b.gateway(), f.gateway());
        assertEquals(b.peers(), f.peers());
        assertEquals(b.tenants(), f.tenants());
        // Decimal 4097 and 8193 in the flow version, 0x1001 and 0x2001 in BASE.
        assertEquals(b.securityAssociations(), f.securityAssociations());
    }

    @Test
    void hexNumbersAreAcceptedEverywhere() {
        OverlayConfig c = assertValid(parse(base("vni: 1001", "vni: 0x3e9")));
        assertEquals(1001, c.tenants().get("blue").vni());
    }

    @Test
    void locationsKeepTheLineOfEveryKey() {
        Locations l = assertValid(parse(BASE)).locations();
        assertEquals(9, l.line("tenants.blue.vni"));
        assertEquals(23, l.line("security-associations[1].key"));
        assertEquals(18, l.line("security-associations[1]"));
        assertEquals(10, l.line("tenants.blue.peers[0]"));
        assertEquals(8, l.line("tenants.blue.ports[3]"));
        assertEquals("test.yaml:9: tenants.blue.vni: vni in use", l.error("tenants.blue.vni", "vni in use").toString());
    }

    @Test
    void unknownKeySuggestsTheCloseOne() {
        ConfigResult r = parse(base("vni: 1001", "vnii: 1001"));
        ConfigError e = assertError(r, "tenants.blue.vnii", 9, "unknown key 'vnii' (did you mean 'vni'?)");
        assertEquals("test.yaml:9: tenants.blue.vnii: unknown key 'vnii' (did you mean 'vni'?)", e.toString());
        assertError(r, "tenants.blue.vni", 8, "missing required key 'vni'");
    }

    @Test
    void unknownKeyFarFromAnyGetsNoSuggestion() {
        ConfigResult r = parse(base("vni: 1001", "vni: 1001\n    colour: blue").replace("0x1001", "0x1001"));
        ConfigError e = assertError(r, "tenants.blue.colour", 10, "unknown key 'colour'");
        assertFalse(e.message().contains("did you mean"), e.message());
    }

    @Test
    void everyErrorIsReportedAtOnce() {
        String yaml = base("address: 192.0.2.1", "address: 192.0.2.300");
        yaml = Fixtures.replace(yaml, "vni: 1001", "vni: 0");
        yaml = Fixtures.replace(yaml, "direction: in", "direction: inn");
        yaml = Fixtures.replace(yaml, "spi: 0x1001", "spi: 0");
        ConfigResult r = parse(yaml);
        assertError(r, "gateway.address", 3, "is not an IP address");
        assertError(r, "tenants.blue.vni", 9, "vni 0 is out of range (expected 1..16777215)");
        assertError(r, "security-associations[0].spi", 12, "reserved");
        assertError(r, "security-associations[1].direction", 19, "'inn' is not one of in, out (did you mean 'in'?)");
        assertEquals(4, r.errors().size(), () -> ConfigErrors.format(r.errors()));
        // Sorted top to bottom.
        assertEquals(List.of(3, 9, 12, 19), r.errors().stream().map(ConfigError::line).toList());
    }

    @Test
    void yamlSyntaxErrorIsOneErrorWithItsLine() {
        ConfigResult r = parse(base("peers: [gw-b]", "peers: [gw-b"));
        assertEquals(1, r.errors().size(), () -> ConfigErrors.format(r.errors()));
        ConfigError e = r.errors().get(0);
        assertEquals("", e.keyPath());
        assertTrue(e.line() >= 10 && e.line() <= 11, e::toString);
        assertTrue(e.message().startsWith("YAML syntax: "), e::toString);
    }

    @Test
    void yamlErrorWithoutMarkStillGetsALine() {
        // snakeyaml-engine raises this one without a mark; the last parsed event gives the line.
        ConfigResult r = parse(base("vni: 1001", "vni: { a: 1,\ne}e: 2 }"));
        assertEquals(1, r.errors().size(), () -> ConfigErrors.format(r.errors()));
        ConfigError e = r.errors().get(0);
        assertTrue(e.message().startsWith("YAML syntax: A simple key is required"), e::toString);
        assertTrue(e.line() >= 9 && e.line() <= 10, e::toString);
    }

    @Test
    void nonScalarKeyIsAnErrorWithItsLine() {
        assertError(parse(base("vni: 1001", "vni: 1001\n    [a]: 1")), "tenants.blue", 10,
                "expected a key name, got a list");
    }

    @Test
    void duplicateKeyIsAnErrorAtTheSecond() {
        ConfigResult r = parse(base("peers: [gw-b]", "peers: [gw-b]\n    vni: 1002"));
        assertError(r, "tenants.blue.vni", 11, "duplicate key 'vni' (first at line 9)");
    }

    @Test
    void unreadableFileIsOneErrorNamingTheFile() {
        Path missing = Path.of("does-not-exist.yaml");
        ConfigResult r = ConfigLoader.load(missing);
        assertEquals(1, r.errors().size());
        assertEquals("does-not-exist.yaml: cannot read config: no such file", r.errors().get(0).toString());
    }

    @Test
    void emptyFileIsAnError() {
        assertError(parse(""), "", 1, "empty config");
        assertError(parse("- a\n- b\n"), "", 1, "expected a mapping, got a list");
    }

    @Test
    void quotedNumberIsATypeError() {
        assertError(parse(base("vni: 1001", "vni: \"1001\"")), "tenants.blue.vni", 9,
                "expected a number, got '1001' in quotes");
        assertError(parse(base("vni: 1001", "vni: [1001]")), "tenants.blue.vni", 9, "expected a number, got a list");
        assertError(parse(base("name: gw-a", "name: { a: b }")), "gateway.name", 2,
                "expected a single value, got a mapping");
    }

    @Test
    void missingSectionsAndRequiredKeysAreNamed() {
        ConfigResult r = parse("gateway: { name: gw-a }\n");
        assertError(r, "gateway.address", 1, "missing required key 'address'");
        assertError(r, "peers", 1, "missing required key 'peers'");
        assertError(r, "tenants", 1, "missing required key 'tenants'");
    }

    @Test
    void warningsAreFormattedWithTheirPrefix() {
        ConfigResult r = parse(BASE.replace("""
                  - spi: 0x2001
                    direction: in
                    peer: gw-b
                    tenants: [blue]
                    algorithm: aes-gcm-256
                    key: "%s"
                """.formatted(Fixtures.KEY_B), ""));
        assertValid(r);
        ConfigError w = Fixtures.assertWarning(r, "tenants.blue.peers[0]", "no in SA");
        assertEquals("test.yaml:10: tenants.blue.peers[0]: warning: no in SA carries tenant blue from peer gw-b: "
                + "its traffic from gw-b will be dropped", w.toString());
    }
}
