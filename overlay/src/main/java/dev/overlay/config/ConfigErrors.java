package dev.overlay.config;

import java.util.List;

/** The user-facing rendering of {@link ConfigError}s, one per line, for the CLI and reloads. */
public final class ConfigErrors {

    /** Exit status of {@code check} and {@code run} for an invalid config (CONTRACT: 2). */
    public static final int EXIT_INVALID = 2;

    private ConfigErrors() {
    }

    /** Each problem as {@code <file>:<line>: <key.path>: [warning: ]<message>}, each ending in a newline. */
    public static String format(List<ConfigError> problems) {
        StringBuilder sb = new StringBuilder();
        for (ConfigError e : problems) {
            sb.append(e).append('\n');
        }
        return sb.toString();
    }
}
