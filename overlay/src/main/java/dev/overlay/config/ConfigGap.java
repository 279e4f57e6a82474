package dev.overlay.config;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * Something a config lacks for some uses only: an error when the config is loaded for one of
 * {@code purposes}, nothing otherwise. {@code check} lists the uses a config is complete for
 * with the {@code need}s of the others.
 *
 * @param error the error as reported when it applies
 * @param purposes the uses it gates
 * @param need what would complete the config, as a noun phrase: {@code an out SA for tenant blue
 *     to peer gw-b}
 */
public record ConfigGap(ConfigError error, Set<Purpose> purposes, String need) {

    public ConfigGap {
        Objects.requireNonNull(error, "error");
        Objects.requireNonNull(need, "need");
        if (purposes.isEmpty()) {
            throw new IllegalArgumentException("purposes: empty (expected: the uses it gates)");
        }
        purposes = Collections.unmodifiableSet(EnumSet.copyOf(purposes));
    }
}
