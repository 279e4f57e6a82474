package dev.overlay.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.snakeyaml.engine.v2.nodes.Node;

/** Collects every error and warning of one load, and the line of every key path seen. */
final class Problems {

    private final Path file;
    private final List<ConfigError> errors = new ArrayList<>();
    private final List<ConfigError> warnings = new ArrayList<>();
    private final Map<String, Integer> lines = new HashMap<>();

    Problems(Path file) {
        this.file = file;
    }

    Path file() {
        return file;
    }

    /** Snakeyaml's marks count from 0; users and editors from 1. */
    static int line(Node node) {
        return node == null ? 0 : node.getStartMark().map(m -> m.getLine() + 1).orElse(0);
    }

    void locate(String path, Node node) {
        int line = line(node);
        if (line > 0) {
            lines.putIfAbsent(path, line);
        }
    }

    void error(String path, Node node, String message) {
        error(path, line(node), message);
    }

    void error(String path, int line, String message) {
        errors.add(new ConfigError(file, path, line > 0 ? line : line(path), message));
    }

    /** An error at the line already recorded for {@code path} or its nearest parent. */
    void error(String path, String message) {
        error(path, line(path), message);
    }

    void warning(String path, String message) {
        warnings.add(new ConfigError(file, path, line(path), ConfigError.Severity.WARNING, message));
    }

    int line(String path) {
        return locations().line(path);
    }

    boolean hasErrors() {
        return !errors.isEmpty();
    }

    int errorCount() {
        return errors.size();
    }

    Locations locations() {
        return new Locations(file, lines);
    }

    ConfigResult result(OverlayConfig config) {
        List<ConfigError> sorted = new ArrayList<>(errors);
        // Stable by line so the report reads top to bottom; same-line errors keep their order.
        sorted.sort((a, b) -> Integer.compare(a.line(), b.line()));
        List<ConfigError> sortedWarnings = new ArrayList<>(warnings);
        sortedWarnings.sort((a, b) -> Integer.compare(a.line(), b.line()));
        return new ConfigResult(java.util.Optional.ofNullable(sorted.isEmpty() ? config : null),
                sorted, sortedWarnings);
    }
}
