package dev.overlay.config;

import java.util.List;
import java.util.Optional;

/**
 * What {@link ConfigLoader} found: the config when there is no error, else every error at once;
 * warnings in both cases.
 *
 * @param config present exactly when {@code errors} is empty
 */
public record ConfigResult(Optional<OverlayConfig> config, List<ConfigError> errors, List<ConfigError> warnings) {

    public ConfigResult {
        errors = List.copyOf(errors);
        warnings = List.copyOf(warnings);
        if (config.isPresent() != errors.isEmpty()) {
            throw new IllegalArgumentException("config: expected exactly when there are no errors");
        }
    }

    public boolean ok() {
        return errors.isEmpty();
    }

    /** The config; {@link IllegalStateException} when it has errors (check {@link #ok()} first). */
    public OverlayConfig orThrow() {
        return config.orElseThrow(() -> new IllegalStateException(
                "config has errors:\n" + ConfigErrors.format(errors)));
    }
}
