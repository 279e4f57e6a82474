package dev.overlay.gateway;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.channel.unix.IntegerUnixChannelOption;
import java.util.List;
import jdk.net.ExtendedSocketOptions;

/**
 * {@code gateway.underlay-fragmentation} on the underlay sockets, where the kernel writes the
 * outer IP header (UDP sockets, and the raw protocol-50 socket, which has no IP_HDRINCL).
 *
 * <ul>
 *   <li>{@code df}: IPv4 {@code IP_MTU_DISCOVER = IP_PMTUDISC_DO}: every datagram leaves with DF
 *       and one larger than the path MTU the kernel knows is refused (EMSGSIZE, counted as
 *       {@code underlay-send-failed}) rather than fragmented; IPv6 {@code IPV6_MTU_DISCOVER =
 *       IPV6_PMTUDISC_DO} and {@code IPV6_DONTFRAG = 1}: no fragmenting at the source (routers
 *       never fragment IPv6)</li>
 *   <li>{@code allow}: {@code IP_PMTUDISC_DONT} / {@code IPV6_PMTUDISC_DONT} and
 *       {@code IPV6_DONTFRAG = 0}: the kernel fragments a datagram larger than the path MTU,
 *       IPv4 datagrams leave without DF so routers may fragment them too (ip(7), ipv6(7))</li>
 * </ul>
 *
 * Without either the kernel's default ({@code IP_PMTUDISC_WANT}) would set DF only on datagrams
 * that fit and fragment the others, which is neither choice.
 */
final class FragmentationOptions {
    static final int IPPROTO_IP = 0;
    static final int IP_MTU_DISCOVER = 10;
    static final int IPPROTO_IPV6 = 41;
    static final int IPV6_MTU_DISCOVER = 23;
    static final int IPV6_DONTFRAG = 62;
    /** IP_PMTUDISC_DONT and IPV6_PMTUDISC_DONT. */
    static final int PMTUDISC_DONT = 0;
    /** IP_PMTUDISC_DO and IPV6_PMTUDISC_DO. */
    static final int PMTUDISC_DO = 2;

    static final IntegerUnixChannelOption IP_MTU_DISCOVER_OPTION =
            new IntegerUnixChannelOption("IP_MTU_DISCOVER", IPPROTO_IP, IP_MTU_DISCOVER);
    static final IntegerUnixChannelOption IPV6_MTU_DISCOVER_OPTION =
            new IntegerUnixChannelOption("IPV6_MTU_DISCOVER", IPPROTO_IPV6, IPV6_MTU_DISCOVER);
    static final IntegerUnixChannelOption IPV6_DONTFRAG_OPTION =
            new IntegerUnixChannelOption("IPV6_DONTFRAG", IPPROTO_IPV6, IPV6_DONTFRAG);

    /** One setsockopt(level, name, value). */
    record Option(int level, int name, int value) {}

    private FragmentationOptions() {
    }

    /** The setsockopt calls for a socket of the family ({@code ipv6}) that {@code allow}s fragments or not. */
    static List<Option> of(boolean ipv6, boolean allow) {
        int discover = allow ? PMTUDISC_DONT : PMTUDISC_DO;
        if (ipv6) {
            return List.of(new Option(IPPROTO_IPV6, IPV6_MTU_DISCOVER, discover),
                    new Option(IPPROTO_IPV6, IPV6_DONTFRAG, allow ? 0 : 1));
        }
        return List.of(new Option(IPPROTO_IP, IP_MTU_DISCOVER, discover));
    }

    /**
     * Sets them on the channels {@code b} makes: raw options on epoll (Netty passes them to
     * setsockopt), the JDK's {@code IP_DONTFRAGMENT} on NIO (on Linux the same IP_MTU_DISCOVER
     * or IPV6_MTU_DISCOVER values, DO or DONT).
     */
    static void apply(Bootstrap b, boolean epoll, boolean ipv6, boolean allow) {
        if (!epoll) {
            b.option(NioChannelOption.of(ExtendedSocketOptions.IP_DONTFRAGMENT), !allow);
            return;
        }
        for (Option o : of(ipv6, allow)) {
            b.option(option(o), o.value());
        }
    }

    static ChannelOption<Integer> option(Option o) {
        if (o.level() == IPPROTO_IP) {
            return IP_MTU_DISCOVER_OPTION;
        }
        return o.name() == IPV6_MTU_DISCOVER ? IPV6_MTU_DISCOVER_OPTION : IPV6_DONTFRAG_OPTION;
    }
}
