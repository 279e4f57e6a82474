package dev.overlay.steering;

import java.util.Locale;

/** The {@code gateway.steering} config values: how received packets are spread over workers. */
public enum SteeringPolicy {
    /** A hash of the SPI picks the worker; each SA has one owner worker ({@link SpiDispatcher}). */
    SPI("spi"),
    /**
     * The outer 4-tuple picks the worker ({@link FlowDispatcher}): the classic RSS/RPS hash, kept as
     * the baseline. ESP-in-UDP from one peer is a single 4-tuple, so it all lands on one worker.
     */
    FLOW("flow"),
    /**
     * Decrypt on the SA's owner as {@link #SPI}, then deliver each inner flow on the worker that
     * owns where it goes, moving a flow only once its old queue has passed it ({@link RfsSteering}).
     */
    RFS("rfs");

    private final String configName;

    SteeringPolicy(String configName) {
        this.configName = configName;
    }

    /** The name written in the config file. */
    public String configName() {
        return configName;
    }

    /**
     * The policy whose config name is {@code name} (case-insensitive).
     *
     * @throws IllegalArgumentException naming the accepted values if there is none
     */
    public static SteeringPolicy of(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        for (SteeringPolicy p : values()) {
            if (p.configName.equals(lower)) {
                return p;
            }
        }
        throw new IllegalArgumentException("steering: " + name + " (expected: spi, flow or rfs)");
    }
}
