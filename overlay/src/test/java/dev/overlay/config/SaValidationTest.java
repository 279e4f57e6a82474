package dev.overlay.config;

import static dev.overlay.config.Fixtures.KEY_A;
import static dev.overlay.config.Fixtures.assertError;
import static dev.overlay.config.Fixtures.assertValid;
import static dev.overlay.config.Fixtures.assertWarning;
import static dev.overlay.config.Fixtures.base;
import static dev.overlay.config.Fixtures.parse;
import static dev.overlay.config.Fixtures.replace;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

/** Security association checks; the first SA spans lines 12..17, the second 18..23. */
class SaValidationTest {

    private static final String HMAC_KEY = "0x" + "11".repeat(32);
    private static final String AES256 = "0x" + "22".repeat(32);

    /** BASE with the first SA's algorithm and key lines replaced. */
    private static String firstSaWith(String algorithmAndMore, String key) {
        String yaml = Fixtures.BASE.replaceFirst("algorithm: aes-gcm-256\n    key: \"" + KEY_A + "\"",
                algorithmAndMore + "\n    key: \"" + key + "\"");
        return yaml;
    }

    @Test
    void spiZeroAndOversizedSpisAreRefused() {
        ConfigError zero = assertError(parse(base("spi: 0x1001", "spi: 0")), "security-associations[0].spi", 12,
                "spi 0 is reserved: RFC 4303 section 2.1 keeps it for local, implementation-specific use and it "
                        + "must not be sent on the wire");
        assertEquals("test.yaml:12: security-associations[0].spi: " + zero.message(), zero.toString());
        assertError(parse(base("spi: 0x1001", "spi: 0x100000000")), "security-associations[0].spi", 12,
                "does not fit in 32 bits (expected 1..0xffffffff)");
        assertEquals(0xFFFF_FFFFL, assertValid(parse(base("spi: 0x1001", "spi: 0xffffffff")))
                .securityAssociations().get(0).spi());
    }

    @Test
    void spiTwiceInOneDirectionIsRefusedButInAndOutMayShareIt() {
        assertValid(parse(base("spi: 0x2001", "spi: 0x1001")));
        String twoOut = replace(base("direction: in", "direction: out"), "spi: 0x2001", "spi: 0x1001");
        assertError(parse(twoOut), "security-associations[1].spi", 18,
                "spi 0x00001001 is also used by security-associations[0], another out SA");
    }

    @Test
    void referencesToPeersAndTenantsMustResolve() {
        assertError(parse(Fixtures.BASE.replaceFirst("peer: gw-b", "peer: gw-x")), "security-associations[0].peer",
                14, "peer 'gw-x' is not defined in peers");
        assertError(parse(Fixtures.BASE.replaceFirst("tenants: \\[blue]", "tenants: [bleu]")),
                "security-associations[0].tenants[0]", 15, "tenant 'bleu' is not defined in tenants (did you mean 'blue'?)");
    }

    @Test
    void saTenantMustListThePeer() {
        String yaml = base("address: 192.0.2.2", "address: 192.0.2.2\n  gw-c: { address: 192.0.2.3 }");
        yaml = yaml.replaceFirst("peer: gw-b", "peer: gw-c");
        assertError(parse(yaml), "security-associations[0].tenants[0]", 16,
                "tenant blue does not list peer gw-c in its peers [gw-b]");
    }

    @Test
    void saForCleartextTenantIsAnError() {
        assertError(parse(base("vni: 1001", "vni: 1001\n    security: none")), "security-associations[0].tenants[0]",
                16, "tenant blue has security: none; an SA for a cleartext tenant is a misconfiguration");
    }

    @Test
    void espTenantWithoutOutboundSaToAPeerIsAnError() {
        ConfigResult r = parse(base("direction: out", "direction: in"));
        assertError(r, "tenants.blue.peers[0]", 10,
                "no out SA carries tenant blue to peer gw-b, so its traffic to gw-b could not be sent");
        assertEquals(1, r.errors().size());
    }

    @Test
    void keyOfTheWrongLengthNamesTheExpectedLayoutButNotTheKey() {
        String short32 = "0x" + "ab".repeat(32);
        ConfigResult r = parse(base("key: \"" + KEY_A + "\"", "key: \"" + short32 + "\""));
        ConfigError e = assertError(r, "security-associations[0].key", 17,
                "aes-gcm-256 key is 32 bytes (expected 36 bytes: 32-byte key then 4-byte salt)");
        assertFalse(e.toString().toLowerCase().contains("abab"), e::toString);
        assertError(parse(firstSaWith("algorithm: aes-ccm-128", "0x" + "ab".repeat(20))),
                "security-associations[0].key", 17, "expected 19 bytes: 16-byte key then 3-byte salt");
        ConfigError bad = assertError(parse(base("key: \"" + KEY_A + "\"", "key: \"0xzz" + KEY_A.substring(4) + "\"")),
                "security-associations[0].key", 17, "expected hex bytes");
        assertFalse(bad.toString().contains(KEY_A.substring(4, 20)), bad::toString);
    }

    @Test
    void icvLengthMustBeOneTheAlgorithmAllows() {
        assertError(parse(firstSaWith("algorithm: aes-gcm-256\n    icv-length: 10", KEY_A)),
                "security-associations[0].icv-length", 17, "icv-length 10 is not allowed for aes-gcm-256 (expected one of [8, 12, 16])");
        assertError(parse(firstSaWith("algorithm: chacha20-poly1305\n    icv-length: 12", KEY_A)),
                "security-associations[0].icv-length", 17, "expected one of [16]");
        assertEquals(8, assertValid(parse(firstSaWith("algorithm: aes-gcm-256\n    icv-length: 8", KEY_A)))
                .securityAssociations().get(0).icvLength());
    }

    @Test
    void integrityIsRequiredForCbcAndForbiddenForCombinedModes() {
        assertError(parse(firstSaWith("algorithm: aes-cbc-256", AES256)), "security-associations[0].integrity", 12,
                "aes-cbc-256 needs an integrity algorithm");
        assertError(parse(firstSaWith("algorithm: aes-gcm-256\n    integrity: hmac-sha256-128\n    integrity-key: \""
                + HMAC_KEY + "\"", KEY_A)), "security-associations[0].integrity", 17, "aes-gcm-256 carries its own ICV");
        assertError(parse(firstSaWith("algorithm: aes-cbc-256\n    integrity: hmac-sha512-256\n    integrity-key: \""
                + HMAC_KEY + "\"", AES256)), "security-associations[0].integrity-key", 18,
                "hmac-sha512-256 key is 32 bytes (expected 64 bytes");
        assertError(parse(firstSaWith("algorithm: aes-gcm-256\n    integrity-key: \"" + HMAC_KEY + "\"", KEY_A)),
                "security-associations[0].integrity-key", 17, "integrity-key given without integrity");
        SaConfig cbc = assertValid(parse(firstSaWith("algorithm: aes-cbc-256\n    integrity: hmac-sha256-128\n"
                + "    integrity-key: \"" + HMAC_KEY + "\"", AES256))).securityAssociations().get(0);
        assertEquals(16, cbc.icvLength());
    }

    @Test
    void nullWithoutIntegrityIsWarnedAboutAndNeedsNoKey() {
        ConfigResult r = parse(Fixtures.BASE.replaceFirst("algorithm: aes-gcm-256\n    key: \"" + KEY_A + "\"",
                "algorithm: null"));
        SaConfig sa = assertValid(r).securityAssociations().get(0);
        assertEquals(0, sa.icvLength());
        assertEquals(0, sa.key().length);
        assertWarning(r, "security-associations[0].algorithm", "null without integrity: ESP with no protection at all");
        ConfigResult withHmac = parse(firstSaWith("algorithm: null\n    integrity: hmac-sha256-128\n"
                + "    integrity-key: \"" + HMAC_KEY + "\"", ""));
        assertEquals(16, assertValid(withHmac).securityAssociations().get(0).icvLength());
        assertError(parse(firstSaWith("algorithm: null", "0x01")), "security-associations[0].key", 17,
                "expected no key material for null");
    }

    @Test
    void keyAndKeyFileAreExclusive() {
        assertError(parse(base("key: \"" + KEY_A + "\"", "key: \"" + KEY_A + "\"\n    key-file: blue.key")),
                "security-associations[0].key-file", 18, "give key or key-file, not both");
    }

    @Test
    void replayWindowIsInboundOnlyAndBounded() {
        assertError(parse(base("key: \"" + KEY_A + "\"", "key: \"" + KEY_A + "\"\n    replay-window: 64")),
                "security-associations[0].replay-window", 18, "replay-window applies to inbound SAs only");
        String big = Fixtures.BASE + "    replay-window: 70000\n";
        assertError(parse(big), "security-associations[1].replay-window", 24, "out of range (expected 0..65536)");
        assertEquals(0, assertValid(parse(Fixtures.BASE + "    replay-window: 0\n")).securityAssociations().get(1)
                .replayWindow());
    }

    @Test
    void initialSequenceIs32BitUnlessEsn() {
        assertError(parse(Fixtures.BASE + "    initial-sequence: 0x100000000\n"),
                "security-associations[1].initial-sequence", 24, "out of range (expected 0..4294967295 without esn)");
        assertEquals(0x1_0000_0000L, assertValid(parse(Fixtures.BASE + "    esn: true\n    initial-sequence: 0x100000000\n"))
                .securityAssociations().get(1).initialSequence());
        assertEquals(-1L, assertValid(parse(Fixtures.BASE + "    esn: true\n    initial-sequence: 0xffffffffffffffff\n"))
                .securityAssociations().get(1).initialSequence());
        assertError(parse(base("key: \"" + KEY_A + "\"", "key: \"" + KEY_A + "\"\n    initial-sequence: 0xffffffff")),
                "security-associations[0].initial-sequence", 18, "leaving room for the first packet's + 1");
        assertError(parse(Fixtures.BASE + "    esn: yes\n"), "security-associations[1].esn", 24,
                "expected true or false, got 'yes'");
    }

    @Test
    void lifetimeValuesAreNonNegativeAndKnown() {
        assertError(parse(Fixtures.BASE + "    lifetime: { packets: -1 }\n"),
                "security-associations[1].lifetime.packets", 24, "out of range (expected 0..");
        assertError(parse(Fixtures.BASE + "    lifetime: { packet: 10 }\n"),
                "security-associations[1].lifetime.packet", 24, "did you mean 'packets'?");
        assertEquals(new SaConfig.Lifetime(0, 1 << 30, 3600),
                assertValid(parse(Fixtures.BASE + "    lifetime: { bytes: 0x40000000, seconds: 3600 }\n"))
                        .securityAssociations().get(1).lifetime());
    }

    @Test
    void missingRequiredSaKeysAreEachNamed() {
        ConfigResult r = parse(Fixtures.BASE + "  - { spi: 0x3001 }\n");
        for (String key : new String[] {"direction", "peer", "tenants", "algorithm", "key"}) {
            assertError(r, "security-associations[2]." + key, 24, "missing required key '" + key + "'");
        }
    }
}
