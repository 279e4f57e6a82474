package dev.overlay.testpcaps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The committed captures are exactly what scripts/make_captures.py writes: nobody edited them by hand. */
class MakeCapturesTest {
    @Test
    void rerunningTheScriptReproducesEveryCommittedCaptureByteForByte(@TempDir Path out) throws IOException {
        Path script = Tools.moduleDir().resolve("scripts/make_captures.py");
        Tools.run(List.of("/usr/bin/python3", script.toString(), out.toString()));
        for (String name : Tools.CAPTURES) {
            assertArrayEquals(Files.readAllBytes(Tools.capture(name)), Files.readAllBytes(out.resolve(name)),
                    name + " differs from a fresh run of make_captures.py: regenerate and commit it");
        }
    }
}
