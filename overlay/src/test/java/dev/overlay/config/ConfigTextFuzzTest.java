package dev.overlay.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Coverage-guided fuzzing (Jazzer) of the YAML config loader on arbitrary text, guided by a
 * dictionary of the config's keys and values (structured mutations: the fuzzer splices real keys,
 * anchors, flow collections into the example configs it starts from). Files under
 * {@code ConfigTextFuzzTestInputs/} replay in every test run; {@code JAZZER_FUZZ=1} fuzzes
 * (FUZZING.md). The jqwik {@link ConfigLoaderFuzzTest} mutates one fixture; this one is led by
 * coverage.
 *
 * <p>Invariants: no exception (a reload must answer with errors, never a stack trace); no hang
 * (alias bombs are bounded); a result is valid exactly when it has no error, and every error
 * names a line of the file.
 */
class ConfigTextFuzzTest {
    private static final boolean FUZZING = System.getenv("JAZZER_FUZZ") != null;
    /** Key files resolve against the config's directory: one that holds nothing. */
    private static final Path FILE = Path.of("/nonexistent-fuzz-dir/overlay.yaml");

    @FuzzTest(maxDuration = "20s")
    @DictionaryFile(resourcePath = "config.dict")
    void parseArbitraryText(byte[] input) {
        String yaml = new String(input, StandardCharsets.UTF_8);
        if (FUZZING) {
            check(yaml); // libFuzzer's -timeout watches for hangs
        } else {
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> check(yaml));
        }
    }

    private static void check(String yaml) {
        ConfigResult r = ConfigLoader.parse(FILE, yaml);
        assertEquals(r.errors().isEmpty(), r.config().isPresent(), r::toString);
        int lines = lineCount(yaml);
        for (ConfigError e : r.errors()) {
            assertTrue(e.line() >= 1 && e.line() <= lines, () -> e + " (of " + lines + " lines)");
            assertTrue(!e.message().isBlank(), e::toString);
        }
    }

    /** Lines as YAML 1.2 counts them (section 5.4): LF, CR LF or a lone CR ends one. */
    private static int lineCount(String yaml) {
        int lines = 1;
        for (int i = 0; i < yaml.length(); i++) {
            char c = yaml.charAt(i);
            if (c == '\n' || (c == '\r' && (i + 1 == yaml.length() || yaml.charAt(i + 1) != '\n'))) {
                lines++;
            }
        }
        return lines;
    }
}
