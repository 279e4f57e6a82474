package dev.overlay.config;

import dev.overlay.vtep.MacAddress;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@code gateway} section: this VTEP's identity on the underlay and how it runs.
 *
 * @param mac outer source MAC written by {@code pcap encode}; empty when not configured
 * @param metrics the Prometheus endpoint of {@code run}; empty when not configured
 * @param stateDir where outbound sequence-number reservations persist across restarts
 *     (resolved, validated); empty when not configured
 * @param underlayFragmentation whether outer packets carry DF ({@code df}) or the underlay may
 *     fragment them ({@code allow})
 * @param cluster the etcd cluster peers, FDB entries and SA generations come from; empty when
 *     the gateway runs from its file alone
 */
public record GatewayConfig(
        String name,
        InetAddress address,
        Optional<MacAddress> mac,
        EspTransport espTransport,
        int espPort,
        int vxlanPort,
        int genevePort,
        int underlayMtu,
        int workers,
        Steering steering,
        Optional<InetSocketAddress> metrics,
        Optional<Path> stateDir,
        boolean pinWorkers,
        UnderlayFragmentation underlayFragmentation,
        Optional<ClusterConfig> cluster) {

    public static final int DEFAULT_ESP_PORT = 4500;
    public static final int DEFAULT_VXLAN_PORT = 4789;
    public static final int DEFAULT_GENEVE_PORT = 6081;
    public static final int DEFAULT_UNDERLAY_MTU = 1500;

    /** How ESP leaves the gateway. */
    public enum EspTransport {
        /** ESP-in-UDP, RFC 3948: UDP {@code esp-port} then ESP. */
        UDP,
        /** ESP as IP protocol 50 directly after the outer IP header (needs CAP_NET_RAW). */
        IP;

        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Whether the underlay may fragment outer packets (RFC 4459 section 3; RFC 8900 on why
     * fragmentation is fragile).
     */
    public enum UnderlayFragmentation {
        /**
         * Outer packets always carry DF (IPv4; IPv6 sockets never fragment at the source): the
         * tenant MTU is what fits the underlay MTU unfragmented, and larger tenant packets are
         * answered with ICMP (or fragmented inside, IPv4 without DF).
         */
        DF,
        /**
         * Outer packets may be fragmented (by this gateway's kernel, and for IPv4 by routers on
         * the way), as Linux vxlan without {@code df set}: the tenant MTU becomes the underlay
         * MTU, at the cost of two outer fragments for a full-size tenant packet.
         */
        ALLOW;

        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** How received packets are spread over workers. */
    public enum Steering {
        SPI, FLOW, RFS;

        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public GatewayConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(mac, "mac");
        Objects.requireNonNull(espTransport, "espTransport");
        Objects.requireNonNull(steering, "steering");
        Objects.requireNonNull(metrics, "metrics");
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(underlayFragmentation, "underlayFragmentation");
        Objects.requireNonNull(cluster, "cluster");
        checkPort("espPort", espPort);
        checkPort("vxlanPort", vxlanPort);
        checkPort("genevePort", genevePort);
        if (underlayMtu < 576 || underlayMtu > 65535) {
            throw new IllegalArgumentException("underlayMtu: " + underlayMtu + " (expected: 576..65535)");
        }
        if (workers < 1) {
            throw new IllegalArgumentException("workers: " + workers + " (expected: >= 1)");
        }
    }

    /** Without a state directory. */
    public GatewayConfig(String name, InetAddress address, Optional<MacAddress> mac, EspTransport espTransport,
                         int espPort, int vxlanPort, int genevePort, int underlayMtu, int workers, Steering steering,
                         Optional<InetSocketAddress> metrics) {
        this(name, address, mac, espTransport, espPort, vxlanPort, genevePort, underlayMtu, workers, steering, metrics,
                Optional.empty(), false, UnderlayFragmentation.DF, Optional.empty());
    }

    /** Without pinned workers ({@code pin-workers: false}, the default). */
    public GatewayConfig(String name, InetAddress address, Optional<MacAddress> mac, EspTransport espTransport,
                         int espPort, int vxlanPort, int genevePort, int underlayMtu, int workers, Steering steering,
                         Optional<InetSocketAddress> metrics, Optional<Path> stateDir) {
        this(name, address, mac, espTransport, espPort, vxlanPort, genevePort, underlayMtu, workers, steering, metrics,
                stateDir, false, UnderlayFragmentation.DF, Optional.empty());
    }

    /**
     * With outer packets that carry DF ({@code underlay-fragmentation: df}, the default) and
     * without a cluster: peers, FDB and SAs from the file alone.
     */
    public GatewayConfig(String name, InetAddress address, Optional<MacAddress> mac, EspTransport espTransport,
                         int espPort, int vxlanPort, int genevePort, int underlayMtu, int workers, Steering steering,
                         Optional<InetSocketAddress> metrics, Optional<Path> stateDir, boolean pinWorkers) {
        this(name, address, mac, espTransport, espPort, vxlanPort, genevePort, underlayMtu, workers, steering, metrics,
                stateDir, pinWorkers, UnderlayFragmentation.DF, Optional.empty());
    }

    /** Whether outer packets may be fragmented ({@code underlay-fragmentation: allow}). */
    public boolean fragmentationAllowed() {
        return underlayFragmentation == UnderlayFragmentation.ALLOW;
    }

    private static void checkPort(String what, int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(what + ": " + port + " (expected: 1..65535)");
        }
    }

    /** True when the underlay is IPv6 (peers always share the gateway's family). */
    public boolean ipv6() {
        return address instanceof Inet6Address;
    }

    /** The default worker count: one per core. */
    public static int defaultWorkers() {
        return Runtime.getRuntime().availableProcessors();
    }
}
