package dev.overlay.config;

import java.net.InetSocketAddress;
import java.util.Objects;

/** A tenant port used by {@code run}: where the tenant's frames enter and leave the gateway. */
public sealed interface PortConfig {

    /** The {@code type} in the config. */
    String type();

    /** A TAP device (needs root); {@code queues} > 1 opens it multi-queue (IFF_MULTI_QUEUE). */
    record TapPort(String name, int queues) implements PortConfig {
        public TapPort {
            Objects.requireNonNull(name, "name");
            if (queues < 1) {
                throw new IllegalArgumentException("queues: " + queues + " (expected: >= 1)");
            }
        }

        @Override
        public String type() {
            return "tap";
        }
    }

    /** An existing interface read and written through an AF_PACKET socket (the gateway's pcap port). */
    record PcapPort(String interfaceName) implements PortConfig {
        public PcapPort {
            Objects.requireNonNull(interfaceName, "interfaceName");
        }

        @Override
        public String type() {
            return "pcap";
        }
    }

    /** One Ethernet frame per UDP datagram, as QEMU's {@code -netdev dgram} sends them. */
    record UdpPort(InetSocketAddress listen, InetSocketAddress remote) implements PortConfig {
        public UdpPort {
            Objects.requireNonNull(listen, "listen");
            Objects.requireNonNull(remote, "remote");
        }

        @Override
        public String type() {
            return "udp";
        }
    }
}
