package dev.overlay.gateway.port;

import dev.overlay.config.PortConfig;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.Objects;

/**
 * Opens the tenant ports of a config ({@link PortConfig}): {@code tap}, {@code pcap} and {@code udp}.
 * Each failure is a {@link PortException} in one sentence naming the port and what would fix it.
 */
public final class Ports {

    /**
     * The largest frame a port takes in, without FCS: a 9000-byte jumbo MTU plus Ethernet and two
     * 802.1Q tags, rounded to the common 9216. Longer frames are counted in rxErrors, never cut.
     */
    public static final int MAX_FRAME = 9216;

    private Ports() {
    }

    /** Opens {@code config}; a UDP port gets a one-thread event loop of its own, stopped by its close(). */
    public static TenantPort open(PortConfig config, ByteBufAllocator alloc) throws PortException {
        return open(config, alloc, null);
    }

    /**
     * Opens {@code config}; a UDP port is served by {@code group} (from {@link #newEventLoopGroup},
     * or any NIO {@link IoEventLoopGroup}), which the caller shuts down after closing its ports;
     * when {@code group} is null the port owns a one-thread group.
     */
    public static TenantPort open(PortConfig config, ByteBufAllocator alloc, EventLoopGroup group) throws PortException {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(alloc, "alloc");
        return switch (config) {
            case PortConfig.TapPort tap -> TapPort.open(tap.name(), tap.queues(), alloc);
            case PortConfig.PcapPort pcap -> PcapPort.open(pcap.interfaceName(), alloc);
            case PortConfig.UdpPort udp -> UdpPort.open(udp, alloc, group);
        };
    }

    /** A (NIO) event loop group for UDP ports; threads are daemons named {@code threadPrefix-N-M}. */
    public static IoEventLoopGroup newEventLoopGroup(int threads, String threadPrefix) {
        return EventLoopGroups.create(threads, new DefaultThreadFactory(threadPrefix, true));
    }
}
