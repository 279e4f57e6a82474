package dev.overlay.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.util.List;

/** A minimal valid config whose line numbers the tests rely on, and assertions on results. */
final class Fixtures {

    static final String KEY_A = "0x0084612b91ed7d82386a4eb6928be6fd8fa4401483ce42e90a84d24fc9be4fa9fd5ec4fa";
    static final String KEY_B = "0x670576b26853473da06eaba054181f1500968be8ea004d127db2f542c3d188570777d372";

    /** Line numbers are part of the fixture: tests replace whole lines, keeping the count. */
    static final String BASE = """
            gateway:
              name: gw-a
              address: 192.0.2.1
            peers:
              gw-b:
                address: 192.0.2.2
            tenants:
              blue:
                vni: 1001
                peers: [gw-b]
            security-associations:
              - spi: 0x1001
                direction: out
                peer: gw-b
                tenants: [blue]
                algorithm: aes-gcm-256
                key: "%s"
              - spi: 0x2001
                direction: in
                peer: gw-b
                tenants: [blue]
                algorithm: aes-gcm-256
                key: "%s"
            """.formatted(KEY_A, KEY_B);

    static final Path FILE = Path.of("test.yaml");

    private Fixtures() {
    }

    static ConfigResult parse(String yaml) {
        return ConfigLoader.parse(FILE, yaml);
    }

    /** BASE with the whole line {@code old} (without indentation) replaced by {@code replacement}. */
    static String base(String old, String replacement) {
        return replace(BASE, old, replacement);
    }

    static String replace(String yaml, String old, String replacement) {
        String[] lines = yaml.split("\n", -1);
        int hits = 0;
        for (int i = 0; i < lines.length; i++) {
            String s = lines[i].strip();
            if (s.equals(old) || s.equals("- " + old)) {
                lines[i] = lines[i].substring(0, lines[i].length() - old.length()) + replacement;
                hits++;
            }
        }
        assertEquals(1, hits, "fixture line '" + old + "' must occur once");
        return String.join("\n", lines);
    }

    /** Exactly one error at {@code path} and {@code line} whose message contains {@code message}. */
    static ConfigError assertError(ConfigResult r, String path, int line, String message) {
        assertTrue(r.config().isEmpty(), "a config with errors must not be returned");
        List<ConfigError> at = r.errors().stream().filter(e -> e.keyPath().equals(path)).toList();
        if (at.isEmpty()) {
            fail("no error at " + path + "; errors:\n" + ConfigErrors.format(r.errors()));
        }
        for (ConfigError e : at) {
            if (e.message().contains(message)) {
                assertEquals(line, e.line(), () -> "line of " + e);
                return e;
            }
        }
        return fail("no error at " + path + " containing '" + message + "'; errors:\n" + ConfigErrors.format(r.errors()));
    }

    static ConfigError assertWarning(ConfigResult r, String path, String message) {
        for (ConfigError w : r.warnings()) {
            if (w.keyPath().equals(path) && w.message().contains(message)) {
                assertTrue(w.warning());
                return w;
            }
        }
        return fail("no warning at " + path + " containing '" + message + "'; warnings:\n"
                + ConfigErrors.format(r.warnings()));
    }

    static OverlayConfig assertValid(ConfigResult r) {
        assertTrue(r.ok(), () -> "unexpected errors:\n" + ConfigErrors.format(r.errors()));
        return r.orThrow();
    }
}
