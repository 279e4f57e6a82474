package dev.overlay.config;

import static dev.overlay.config.Fixtures.assertError;
import static dev.overlay.config.Fixtures.assertValid;
import static dev.overlay.config.Fixtures.assertWarning;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code gateway.state-dir}: resolved against the config's directory, must be a private writable directory. */
class StateDirTest {
    @TempDir
    Path dir;

    private ConfigResult withStateDir(String value) {
        // Line 3 of the fixture becomes two lines: address, then state-dir on line 4.
        return ConfigLoader.parse(dir.resolve("gw-a.yaml"),
                Fixtures.base("address: 192.0.2.1", "address: 192.0.2.1\n  state-dir: " + value));
    }

    @Test
    void aRelativeStateDirResolvesAgainstTheConfigFilesDirectory() throws Exception {
        Path state = Files.createDirectory(dir.resolve("state"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        OverlayConfig c = assertValid(withStateDir("state"));
        assertEquals(Optional.of(state), c.gateway().stateDir());
        String report = CheckReport.of(withStateDir("state")).render();
        assertTrue(report.contains("  state-dir " + state + " (sequence numbers persist across restarts)"), report);
        assertTrue(withStateDir("state").warnings().stream().noneMatch(w -> w.message().contains("reuses nonces")));
        assertTrue(CheckReport.of(withStateDir("state")).renderJson().contains("\"state-dir\":"));
    }

    @Test
    void aMissingStateDirIsAnErrorWithItsLine() {
        ConfigError e = assertError(withStateDir("nowhere"), "gateway.state-dir", 4, "state-dir nowhere does not exist");
        assertTrue(e.toString().startsWith(dir.resolve("gw-a.yaml") + ":4:"), e.toString());
    }

    @Test
    void aFileIsNotAStateDir() throws Exception {
        Files.writeString(dir.resolve("plain"), "");
        assertError(withStateDir("plain"), "gateway.state-dir", 4, "state-dir plain is not a directory");
    }

    @Test
    void aGroupOrWorldWritableStateDirIsRefused() throws Exception {
        Files.createDirectory(dir.resolve("shared"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.setPosixFilePermissions(dir.resolve("shared"), PosixFilePermissions.fromString("rwxrwxrwx"));
        assertError(withStateDir("shared"), "gateway.state-dir", 4,
                "state-dir shared is writable by group or others (mode 0777); chmod 700 it");
    }

    @Test
    void withoutAStateDirEachCounterModeOutSaIsWarnedAbout() {
        ConfigResult r = Fixtures.parse(Fixtures.BASE);
        assertValid(r);
        ConfigError w = assertWarning(r, "security-associations[0]",
                "out SA 0x00001001 (aes-gcm-256): restarting with the same key reuses nonces: "
                        + "set gateway.state-dir or roll SAs at every restart");
        assertEquals(12, w.line());
        assertEquals(1, r.warnings().stream().filter(x -> x.message().contains("reuses nonces")).count(),
                "the in SA is not warned about");
        assertTrue(CheckReport.of(r).render().contains("  state-dir - (sequence numbers restart at initial-sequence)"));
    }

    @Test
    void cbcWithHmacIsNotWarnedAbout() {
        String cbc = Fixtures.BASE.replaceFirst("algorithm: aes-gcm-256\n    key: \"[^\"]*\"",
                "algorithm: aes-cbc-128\n    key: \"0x000102030405060708090a0b0c0d0e0f\"\n"
                        + "    integrity: hmac-sha256-128\n"
                        + "    integrity-key: \"0x000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f\"");
        ConfigResult r = Fixtures.parse(cbc);
        assertValid(r);
        assertTrue(r.warnings().stream().noneMatch(x -> x.message().contains("reuses nonces")), r.warnings().toString());
    }
}
