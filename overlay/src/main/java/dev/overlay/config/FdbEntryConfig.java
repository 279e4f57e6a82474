package dev.overlay.config;

import dev.overlay.vtep.MacAddress;
import java.util.Objects;

/** A static FDB entry of a tenant: frames to {@code mac} go to {@code peer} only. */
public record FdbEntryConfig(MacAddress mac, String peer) {

    public FdbEntryConfig {
        Objects.requireNonNull(mac, "mac");
        Objects.requireNonNull(peer, "peer");
        if (mac.isMulticast()) {
            throw new IllegalArgumentException("mac: " + mac + " (expected: a unicast address)");
        }
    }
}
