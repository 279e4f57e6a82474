package dev.overlay.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One problem in a config file, located for the user.
 *
 * @param keyPath {@code tenants.blue.vni}, {@code security-associations[0].key}; empty for the
 *     whole file (unreadable, not YAML)
 * @param line 1-based; 0 when unknown (the file could not be read)
 */
public record ConfigError(Path file, String keyPath, int line, Severity severity, String message) {

    public enum Severity { ERROR, WARNING }

    public ConfigError {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(keyPath, "keyPath");
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(message, "message");
        if (line < 0) {
            throw new IllegalArgumentException("line: " + line + " (expected: >= 0)");
        }
    }

    public ConfigError(Path file, String keyPath, int line, String message) {
        this(file, keyPath, line, Severity.ERROR, message);
    }

    public boolean warning() {
        return severity == Severity.WARNING;
    }

    /**
     * {@code <file>:<line>: <key.path>: <message>}, or with {@code warning: } before the
     * message; the line and key path are left out when unknown, as compilers do.
     */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder().append(file);
        if (line > 0) {
            sb.append(':').append(line);
        }
        sb.append(": ");
        if (!keyPath.isEmpty()) {
            sb.append(keyPath).append(": ");
        }
        if (warning()) {
            sb.append("warning: ");
        }
        return sb.append(message).toString();
    }
}
