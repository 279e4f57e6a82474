package dev.overlay.cli;

import dev.overlay.config.ConfigErrors;
import dev.overlay.config.ConfigLoader;
import dev.overlay.config.ConfigResult;
import dev.overlay.config.OverlayConfig;
import dev.overlay.config.Purpose;
import java.io.PrintWriter;
import java.nio.file.Path;

/** Config loading for the commands: every command that takes {@code --config} goes through here. */
public final class Configs {
    private Configs() {
    }

    static ConfigResult load(Path file, Purpose purpose) {
        return ConfigLoader.load(file, purpose);
    }

    /**
     * The valid config of {@code file} for {@code run}; otherwise a {@link UserException} (exit 2)
     * whose message lists every error, one per line, as {@code check} does.
     */
    public static OverlayConfig loadOrFail(Path file) {
        return loadOrFail(file, Purpose.RUN, null);
    }

    /**
     * The config of {@code file} as valid for {@code purpose} (what only other commands need is
     * not asked for); otherwise a {@link UserException} (exit 2) listing every error. Its warnings
     * for that use go to {@code warnings}, one per line, when it is not null.
     */
    public static OverlayConfig loadOrFail(Path file, Purpose purpose, PrintWriter warnings) {
        ConfigResult result = ConfigLoader.load(file, purpose);
        if (!result.ok()) {
            String listed = ConfigErrors.format(result.errors()).stripTrailing();
            String check = "overlay check --config " + file + (purpose == Purpose.RUN ? "" : " --for " + purpose.commandName());
            throw new UserException(ConfigErrors.EXIT_INVALID, file + " is not a valid config"
                    + (purpose == Purpose.RUN ? "" : " for " + purpose.commandName()) + " ("
                    + result.errors().size() + (result.errors().size() == 1 ? " error" : " errors")
                    + "; '" + check + "' lists them):\n" + listed);
        }
        if (warnings != null && !result.warnings().isEmpty()) {
            warnings.print(ConfigErrors.format(result.warnings()));
            warnings.flush();
        }
        return result.config().orElseThrow();
    }
}
