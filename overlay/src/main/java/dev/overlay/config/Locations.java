package dev.overlay.config;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * Where each key of a loaded config was written: key path ({@code tenants.blue.vni},
 * {@code security-associations[0].key}) to 1-based line. Kept with the config so that errors
 * found after loading (a port that cannot be opened, a reload that changes a VNI) still name
 * the line, as the contract asks.
 */
public final class Locations {

    private final Path file;
    private final Map<String, Integer> lines;

    Locations(Path file, Map<String, Integer> lines) {
        this.file = Objects.requireNonNull(file, "file");
        this.lines = Map.copyOf(lines);
    }

    public Path file() {
        return file;
    }

    /**
     * The line of {@code keyPath}, or of its nearest enclosing key that has one
     * ({@code tenants.blue.ports[1]} falls back to {@code tenants.blue.ports}, then
     * {@code tenants.blue}); 0 when none is known.
     */
    public int line(String keyPath) {
        String p = keyPath;
        while (!p.isEmpty()) {
            Integer line = lines.get(p);
            if (line != null) {
                return line;
            }
            p = parent(p);
        }
        return 0;
    }

    /** An error about {@code keyPath} at its line, in this config's file. */
    public ConfigError error(String keyPath, String message) {
        return new ConfigError(file, keyPath, line(keyPath), ConfigError.Severity.ERROR, message);
    }

    static String parent(String path) {
        int cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
        return cut < 0 ? "" : path.substring(0, cut);
    }
}
