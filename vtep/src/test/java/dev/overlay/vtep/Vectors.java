package dev.overlay.vtep;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the shared third-party vectors are: $OVERLAY_SHARED/vectors, else /work/shared. */
final class Vectors {
    private Vectors() {}

    static Path dir() {
        String shared = System.getenv("OVERLAY_SHARED");
        Path p = shared != null ? Path.of(shared, "vectors") : Path.of("/work/shared/vectors");
        if (!Files.isDirectory(p)) {
            throw new IllegalStateException("shared vectors not found at " + p);
        }
        return p;
    }
}
