package dev.overlay.config;

import static dev.overlay.config.Fixtures.FILE;
import static dev.overlay.config.Fixtures.assertError;
import static dev.overlay.config.Fixtures.assertValid;
import static dev.overlay.config.Fixtures.assertWarning;
import static dev.overlay.config.Fixtures.base;
import static dev.overlay.config.Fixtures.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A config is validated for the command that loads it: a file of inbound SAs opens captures
 * ({@code decode}, {@code decrypt}, {@code inspect}, {@code wireshark-keys}) but cannot send
 * ({@code run}, {@code encode}), and {@code check} says which commands a file is complete for.
 */
class PurposeValidationTest {

    /** BASE with its out SA made an in SA: two inbound SAs, nothing to send with (line 13). */
    private static final String INBOUND_ONLY = base("direction: out", "direction: in");

    private static final EnumSet<Purpose> READERS =
            EnumSet.of(Purpose.DECODE, Purpose.DECRYPT, Purpose.INSPECT, Purpose.WIRESHARK_KEYS);

    @Test
    void aFileOfInboundSasIsValidForTheReadersAndRefusedByRunAndEncode() {
        for (Purpose p : Purpose.values()) {
            ConfigResult r = ConfigLoader.parse(FILE, INBOUND_ONLY, p);
            if (READERS.contains(p)) {
                OverlayConfig c = assertValid(r);
                assertEquals(2, c.securityAssociations().size(), p::toString);
            } else {
                // The sentence run and encode have always given.
                assertError(r, "tenants.blue.peers[0]", 10, "no out SA carries tenant blue to peer gw-b, so its "
                        + "traffic to gw-b could not be sent (add one, or security: none)");
                assertEquals(1, r.errors().size(), () -> ConfigErrors.format(r.errors()));
            }
            assertEquals(READERS, r.completeFor(), p::toString);
        }
        // Without a purpose a file is loaded for run, as before.
        assertError(parse(INBOUND_ONLY), "tenants.blue.peers[0]", 10, "no out SA carries tenant blue");
    }

    @Test
    void aFileWithNoSaAtAllStillOpensNothingButIsValidForTheReaders() {
        String noSas = Fixtures.BASE.substring(0, Fixtures.BASE.indexOf("security-associations:"));
        assertValid(ConfigLoader.parse(FILE, noSas, Purpose.DECRYPT));
        assertEquals(READERS, ConfigLoader.parse(FILE, noSas, Purpose.INSPECT).completeFor());
    }

    @Test
    void completeForLineNamesWhatTheOtherCommandsNeed() {
        ConfigResult partial = ConfigLoader.parse(FILE, INBOUND_ONLY, Purpose.DECRYPT);
        assertEquals("complete for: decode, decrypt, inspect, wireshark-keys (run and encode need an out SA for "
                + "tenant blue to peer gw-b)", CheckReport.completeFor(partial));
        String report = CheckReport.of(partial).render();
        assertTrue(report.startsWith("config test.yaml: valid\ncomplete for: decode, decrypt, inspect, wireshark-keys"
                + " (run and encode need an out SA for tenant blue to peer gw-b)\n\ngateway gw-a\n"), report);
        assertTrue(CheckReport.of(partial).renderJson().contains(
                "\"valid\":true,\"complete_for\":[\"decode\",\"decrypt\",\"inspect\",\"wireshark-keys\"]"));

        ConfigResult full = parse(Fixtures.BASE);
        assertEquals("complete for: run, encode, decode, decrypt, inspect, wireshark-keys", CheckReport.completeFor(full));
        assertTrue(CheckReport.of(full).render().startsWith("config test.yaml: valid\ncomplete for: run, encode, "
                + "decode, decrypt, inspect, wireshark-keys\n\n"));

        ConfigResult broken = parse(base("vni: 1001", "vni: 0"));
        assertEquals("complete for: none", CheckReport.completeFor(broken));
    }

    @Test
    void twoMissingOutSasAreBothNamed() {
        String yaml = base("peers: [gw-b]", "peers: [gw-b, gw-c]")
                .replace("    address: 192.0.2.2", "    address: 192.0.2.2\n  gw-c: { address: 192.0.2.3 }");
        yaml = yaml.replace("direction: out", "direction: in");
        ConfigResult r = ConfigLoader.parse(FILE, yaml, Purpose.INSPECT);
        assertValid(r);
        assertEquals("complete for: decode, decrypt, inspect, wireshark-keys (run and encode need an out SA for "
                + "tenant blue to peer gw-b, an out SA for tenant blue to peer gw-c)", CheckReport.completeFor(r));
    }

    @Test
    void spisOneTo255AreWarnedAboutAndAcceptedForEveryCommand() {
        for (String spi : List.of("1", "52", "123", "0xff")) {
            for (Purpose p : Purpose.values()) {
                ConfigResult r = ConfigLoader.parse(FILE, base("spi: 0x1001", "spi: " + spi), p);
                long value = Long.decode(spi);
                assertEquals(value, assertValid(r).securityAssociations().get(0).spi(), p + " " + spi);
                ConfigError w = assertWarning(r, "security-associations[0].spi", String.format("spi %d (0x%x) is in "
                        + "1..255, reserved for IANA (RFC 4303 section 2.1); accepted", value, value));
                assertEquals(12, w.line());
            }
        }
        ConfigResult plain = parse(base("spi: 0x1001", "spi: 256"));
        assertTrue(plain.warnings().stream().noneMatch(w -> w.message().contains("reserved for IANA")));
    }

    @Test
    void spiZeroIsRefusedForEveryCommandWithItsReason() {
        for (Purpose p : Purpose.values()) {
            assertError(ConfigLoader.parse(FILE, base("spi: 0x1001", "spi: 0"), p), "security-associations[0].spi",
                    12, "spi 0 is reserved: RFC 4303 section 2.1 keeps it for local, implementation-specific use");
        }
    }

    @Test
    void whatOnlyOpensIsValidForTheReadersWithAWarningAndAnErrorForRunAndEncode() {
        String hmac32 = "0x" + "5a".repeat(32);
        record Case(String sa, String path, int line, String error, String warning, String need) {}
        List<Case> cases = List.of(
                // An HMAC key of other than RFC 4868's length: Linux and Wireshark take any (line 23).
                new Case("algorithm: aes-cbc-128\n    key: \"0x" + "01".repeat(16) + "\"\n    integrity: hmac-sha256-128\n"
                        + "    integrity-key: \"0x" + "5a".repeat(20) + "\"",
                        "security-associations[1].integrity-key", 25,
                        "hmac-sha256-128 key is 20 bytes (expected 32 bytes, RFC 4868 section 2.1.1)",
                        "hmac-sha256-128 key is 20 bytes where RFC 4868 section 2.1.1 gives 32: opened for reading",
                        "a 32-byte hmac-sha256-128 key for security-associations[1]"),
                // A transform we only open.
                new Case("algorithm: aes-ctr-128\n    key: \"0x" + "01".repeat(20) + "\"\n    integrity: hmac-sha256-128\n"
                        + "    integrity-key: \"" + hmac32 + "\"",
                        "security-associations[1].algorithm", 22,
                        "aes-ctr-128 is opened by decode, decrypt, inspect and wireshark-keys but never sent: run and "
                                + "encode send aes-gcm-128, aes-gcm-256, aes-ccm-128",
                        null, "a sendable algorithm for security-associations[1] (not aes-ctr-128)"),
                new Case("algorithm: null\n    integrity: hmac-sha256-96\n    integrity-key: \"" + hmac32 + "\"",
                        "security-associations[1].integrity", 23,
                        "hmac-sha256-96 is opened by decode, decrypt, inspect and wireshark-keys but never sent: run and "
                                + "encode send hmac-sha256-128, hmac-sha384-192, hmac-sha512-256",
                        null, "a sendable integrity algorithm for security-associations[1] (not hmac-sha256-96)"),
                // Encryption without integrity (RFC 3602 test vectors and DPDK's have it).
                new Case("algorithm: aes-cbc-256\n    key: \"0x" + "01".repeat(32) + "\"",
                        "security-associations[1].integrity", 18,
                        "aes-cbc-256 needs an integrity algorithm (encryption without integrity is open to active "
                                + "attacks, RFC 4303 section 3.2)",
                        "aes-cbc-256 without integrity: anyone could have altered these packets undetected",
                        "an integrity algorithm for security-associations[1] (aes-cbc-256)"));
        for (Case c : cases) {
            String yaml = Fixtures.BASE.replace("algorithm: aes-gcm-256\n    key: \"" + Fixtures.KEY_B + "\"", c.sa());
            assertTrue(!yaml.equals(Fixtures.BASE));
            for (Purpose p : Purpose.values()) {
                ConfigResult r = ConfigLoader.parse(FILE, yaml, p);
                if (READERS.contains(p)) {
                    assertValid(r);
                    if (c.warning() != null) {
                        assertWarning(r, c.path(), c.warning());
                    }
                } else {
                    assertError(r, c.path(), c.line(), c.error());
                    assertEquals(1, r.errors().size(), () -> ConfigErrors.format(r.errors()));
                }
                assertEquals("complete for: decode, decrypt, inspect, wireshark-keys (run and encode need " + c.need()
                        + ")", CheckReport.completeFor(r));
            }
        }
        // An empty HMAC key authenticates nothing: refused for every command.
        String empty = Fixtures.BASE.replace("algorithm: aes-gcm-256\n    key: \"" + Fixtures.KEY_B + "\"",
                "algorithm: null\n    integrity: hmac-sha256-128\n    integrity-key: \"0x\"");
        for (Purpose p : Purpose.values()) {
            assertError(ConfigLoader.parse(FILE, empty, p), "security-associations[1].integrity-key", 24,
                    "hmac-sha256-128 key is empty");
        }
    }

    @Test
    void warningsConcernTheirOwnCommands() {
        // No state-dir: a restart reuses nonces. That concerns run, not a tool reading a capture.
        String nonce = "restarting with the same key reuses nonces";
        assertWarning(ConfigLoader.parse(FILE, Fixtures.BASE, Purpose.RUN), "security-associations[0]", nonce);
        for (Purpose p : EnumSet.complementOf(EnumSet.of(Purpose.RUN))) {
            assertTrue(ConfigLoader.parse(FILE, Fixtures.BASE, p).warnings().stream()
                    .noneMatch(w -> w.message().contains(nonce)), p::toString);
        }
    }
}
