package dev.overlay.configs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.cli.Main;
import dev.overlay.config.ConfigErrors;
import dev.overlay.config.ConfigLoader;
import dev.overlay.config.ConfigResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every example config shipped in configs/ loads without an error and passes
 * {@code bin/overlay check} (exit 0), as a user who copies one would run it.
 */
class ExampleConfigsCheckTest {

    /** configs/ in the source tree: surefire sets overlay.root; the working directory is this module. */
    private static Path configsDir() {
        String root = System.getProperty("overlay.root");
        return root != null ? Path.of(root, "configs") : Path.of("").toAbsolutePath();
    }

    private static List<Path> examples() throws IOException {
        try (Stream<Path> files = Files.list(configsDir())) {
            return files.filter(p -> p.getFileName().toString().endsWith(".yaml")).sorted().toList();
        }
    }

    @Test
    void theExamplesAreThere() throws IOException {
        List<String> names = examples().stream().map(p -> p.getFileName().toString()).toList();
        assertTrue(names.containsAll(List.of("two-tenants-gw-a.yaml", "two-tenants-gw-b.yaml", "cleartext-lab.yaml")),
                () -> "examples: " + names);
    }

    @TestFactory
    Stream<DynamicTest> everyExampleLoadsWithoutErrorsAndPassesCheck() throws IOException {
        return examples().stream().map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), () -> {
            ConfigResult result = ConfigLoader.load(file);
            assertTrue(result.ok(), () -> ConfigErrors.format(result.errors()));
            assertEquals(List.of(), result.errors());

            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int status = Main.run(new String[] {"check", "--config", file.toString()},
                    new PrintWriter(out), new PrintWriter(err));
            assertEquals(0, status, () -> "check " + file + ":\n" + out + err);
            assertFalse(out.toString().isBlank(), "check prints the resolved view");
        }));
    }
}
