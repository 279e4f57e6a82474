package dev.overlay.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * Collects every error, gap and warning of one load, and the line of every key path seen. Errors
 * hold for every use of the config; a gap ({@link ConfigGap}) and some warnings only for some.
 */
final class Problems {

    /** A warning and the uses it concerns. */
    private record Warning(ConfigError warning, Set<Purpose> purposes) {
    }

    private final Path file;
    private final List<ConfigError> errors = new ArrayList<>();
    private final List<ConfigGap> gaps = new ArrayList<>();
    private final List<Warning> warnings = new ArrayList<>();
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

    /** An error only when the config is loaded for one of {@code purposes}; see {@link ConfigGap}. */
    void gap(String path, String message, Set<Purpose> purposes, String need) {
        gaps.add(new ConfigGap(new ConfigError(file, path, line(path), message), purposes, need));
    }

    void warning(String path, String message) {
        warning(path, message, Purpose.ALL);
    }

    /** A warning that concerns only {@code purposes} (a restart's nonce reuse means nothing to {@code decrypt}). */
    void warning(String path, String message, Set<Purpose> purposes) {
        warnings.add(new Warning(new ConfigError(file, path, line(path), ConfigError.Severity.WARNING, message),
                purposes));
    }

    int line(String path) {
        return locations().line(path);
    }

    boolean hasErrors() {
        return !errors.isEmpty();
    }

    /** Errors, or gaps that gate {@code purpose}. */
    boolean hasErrors(Purpose purpose) {
        return !errors.isEmpty() || gaps.stream().anyMatch(g -> g.purposes().contains(purpose));
    }

    int errorCount() {
        return errors.size();
    }

    Locations locations() {
        return new Locations(file, lines);
    }

    /** The result for {@code purpose}: its errors are the errors and the gaps that gate it. */
    ConfigResult result(OverlayConfig config, Purpose purpose) {
        List<ConfigError> sorted = new ArrayList<>(errors);
        for (ConfigGap g : gaps) {
            if (g.purposes().contains(purpose)) {
                sorted.add(g.error());
            }
        }
        // Stable by line so the report reads top to bottom; same-line errors keep their order.
        sorted.sort((a, b) -> Integer.compare(a.line(), b.line()));
        List<ConfigError> sortedWarnings = new ArrayList<>();
        for (Warning w : warnings) {
            if (w.purposes().contains(purpose)) {
                sortedWarnings.add(w.warning());
            }
        }
        sortedWarnings.sort((a, b) -> Integer.compare(a.line(), b.line()));
        return new ConfigResult(java.util.Optional.ofNullable(sorted.isEmpty() ? config : null),
                sorted, sortedWarnings, purpose, gaps);
    }
}
