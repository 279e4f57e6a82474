package dev.overlay.config;

import static dev.overlay.config.Fixtures.assertError;
import static dev.overlay.config.Fixtures.assertValid;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@code gateway.pin-workers}: true or false, false by default, shown by check. */
class PinWorkersTest {

    private static ConfigResult with(String line) {
        // Line 3 of the fixture becomes two lines: address, then the option on line 4.
        return ConfigLoader.parse(Path.of("gw-a.yaml"),
                Fixtures.base("address: 192.0.2.1", "address: 192.0.2.1\n  " + line));
    }

    @Test
    void pinnedWorkersAreAskedForWithTrueAndShownByCheck() {
        assertTrue(assertValid(with("pin-workers: true")).gateway().pinWorkers());
        assertTrue(CheckReport.of(with("pin-workers: true")).render().contains(" (pinned to cores)"));
        assertTrue(CheckReport.of(with("pin-workers: true")).renderJson().contains("\"pin-workers\":true"));
        assertFalse(assertValid(with("pin-workers: false")).gateway().pinWorkers());
        assertFalse(assertValid(with("workers: 2")).gateway().pinWorkers(),
                "off unless asked for");
    }

    @Test
    void anythingButTrueOrFalseIsAnErrorWithItsLine() {
        assertError(with("pin-workers: yes please"), "gateway.pin-workers", 4, "expected true or false");
    }
}
