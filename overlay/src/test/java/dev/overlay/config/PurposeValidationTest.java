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
