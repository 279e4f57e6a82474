package dev.overlay.config;

import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What {@link ConfigLoader} found, for one use ({@link Purpose}): the config when there is no
 * error for that use, else every error at once; the warnings that concern that use in both cases;
 * and every {@link ConfigGap}, so that {@code check} can say which other uses the file is
 * complete for.
 *
 * @param config present exactly when {@code errors} is empty
 * @param errors the errors for {@code purpose}: those of every use, and the gaps that gate it
 * @param gaps every gap, whichever use it gates
 */
public record ConfigResult(Optional<OverlayConfig> config, List<ConfigError> errors, List<ConfigError> warnings,
                           Purpose purpose, List<ConfigGap> gaps) {

    public ConfigResult {
        errors = List.copyOf(errors);
        warnings = List.copyOf(warnings);
        Objects.requireNonNull(purpose, "purpose");
        gaps = List.copyOf(gaps);
        if (config.isPresent() != errors.isEmpty()) {
            throw new IllegalArgumentException("config: expected exactly when there are no errors");
        }
    }

    /** A result for {@code run} with no gap. */
    public ConfigResult(Optional<OverlayConfig> config, List<ConfigError> errors, List<ConfigError> warnings) {
        this(config, errors, warnings, Purpose.RUN, List.of());
    }

    public boolean ok() {
        return errors.isEmpty();
    }

    /** The config; {@link IllegalStateException} when it has errors (check {@link #ok()} first). */
    public OverlayConfig orThrow() {
        return config.orElseThrow(() -> new IllegalStateException(
                "config has errors:\n" + ConfigErrors.format(errors)));
    }

    /**
     * The uses this file is a valid config for: none when it has an error that holds for every
     * use, else every use that no gap gates.
     */
    public Set<Purpose> completeFor() {
        for (ConfigError e : errors) {
            if (gaps.stream().noneMatch(g -> g.error() == e)) {
                return EnumSet.noneOf(Purpose.class);
            }
        }
        Set<Purpose> out = EnumSet.allOf(Purpose.class);
        gaps.forEach(g -> out.removeAll(g.purposes()));
        return out;
    }
}
