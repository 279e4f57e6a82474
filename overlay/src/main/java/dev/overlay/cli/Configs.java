package dev.overlay.cli;

import dev.overlay.config.ConfigErrors;
import dev.overlay.config.ConfigLoader;
import dev.overlay.config.ConfigResult;
import dev.overlay.config.OverlayConfig;
import java.nio.file.Path;

/** Config loading for the commands: every command that takes {@code --config} goes through here. */
public final class Configs {
    private Configs() {
    }

    static ConfigResult load(Path file) {
        return ConfigLoader.load(file);
    }

    /**
     * The valid config of {@code file}; otherwise a {@link UserException} (exit 2) whose message
     * lists every error, one per line, as {@code check} does.
     */
    public static OverlayConfig loadOrFail(Path file) {
        ConfigResult result = ConfigLoader.load(file);
        if (!result.ok()) {
            String listed = ConfigErrors.format(result.errors()).stripTrailing();
            throw new UserException(ConfigErrors.EXIT_INVALID, file + " is not a valid config ("
                    + result.errors().size() + (result.errors().size() == 1 ? " error" : " errors")
                    + "; 'overlay check --config " + file + "' lists them):\n" + listed);
        }
        return result.config().orElseThrow();
    }
}
