package dev.overlay.config;

import dev.overlay.vtep.MacAddress;
import java.net.InetAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * One entry of {@code peers}: a remote VTEP.
 *
 * @param mac outer destination MAC written by {@code pcap encode}; empty when not configured
 */
public record PeerConfig(String name, InetAddress address, Optional<MacAddress> mac) {

    public PeerConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(mac, "mac");
    }
}
