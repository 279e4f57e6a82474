package dev.overlay.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * A reload runs the loader on whatever an operator saved: it must answer with a result, never
 * throw, and every error it reports must point inside the file.
 */
class ConfigLoaderFuzzTest {

    private static final String ALPHABET = " \n:-[]{},\"'#&*!|>0123456789abcdefx.";

    @Provide
    Arbitrary<String> mutatedConfigs() {
        Arbitrary<Integer> position = Arbitraries.integers().between(0, Fixtures.BASE.length() - 1);
        Arbitrary<Integer> length = Arbitraries.integers().between(0, 12);
        Arbitrary<String> insert = Arbitraries.strings().withChars(ALPHABET.toCharArray()).ofMaxLength(6);
        Arbitrary<String> once = Combinators.combine(position, length, insert).as((p, n, s) -> {
            int end = Math.min(Fixtures.BASE.length(), p + n);
            return Fixtures.BASE.substring(0, p) + s + Fixtures.BASE.substring(end);
        });
        return once;
    }

    @Property(tries = 2000)
    void mutatedConfigNeverThrowsAndLocatesEveryError(@ForAll("mutatedConfigs") String yaml) {
        ConfigResult r = ConfigLoader.parse(Fixtures.FILE, yaml);
        int lines = (int) yaml.chars().filter(c -> c == '\n').count() + 1;
        for (ConfigError e : r.errors()) {
            assertTrue(e.line() >= 1 && e.line() <= lines, e::toString);
        }
        assertEquals(r.errors().isEmpty(), r.config().isPresent());
    }

    @Property(tries = 500)
    void arbitraryTextNeverThrows(@ForAll("text") String yaml) {
        ConfigResult r = ConfigLoader.parse(Fixtures.FILE, yaml);
        assertEquals(r.errors().isEmpty(), r.config().isPresent());
    }

    @Provide
    Arbitrary<String> text() {
        return Arbitraries.strings().withChars(ALPHABET.toCharArray()).ofMaxLength(200);
    }
}
