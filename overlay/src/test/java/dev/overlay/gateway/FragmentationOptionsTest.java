package dev.overlay.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.SocketProtocolFamily;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/**
 * {@code underlay-fragmentation} reaches the kernel: the socket options read back from sockets
 * bound as the underlay binds them (the effect on the wire, DF or fragments, is
 * {@code PathMtuNetnsTest}'s).
 */
class FragmentationOptionsTest {

    @Test
    void dfAndAllowSetTheSocketsPathMtuDiscovery() throws Exception {
        assertTrue(Epoll.isAvailable(), "the gateway's transport here is epoll");
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try {
            for (boolean allow : new boolean[] {false, true}) {
                Channel v4 = bind(group, false, allow, "127.0.0.1");
                assertEquals(allow ? 0 : 2, v4.config().getOption(FragmentationOptions.IP_MTU_DISCOVER_OPTION),
                        "IP_PMTUDISC_DONT (0) or IP_PMTUDISC_DO (2)");
                v4.close().sync();
                Channel v6 = bind(group, true, allow, "::1");
                assertEquals(allow ? 0 : 2, v6.config().getOption(FragmentationOptions.IPV6_MTU_DISCOVER_OPTION));
                assertEquals(allow ? 0 : 1, v6.config().getOption(FragmentationOptions.IPV6_DONTFRAG_OPTION));
                v6.close().sync();
            }
        } finally {
            group.shutdownGracefully().sync();
        }
    }

    private static Channel bind(MultiThreadIoEventLoopGroup group, boolean ipv6, boolean allow, String address)
            throws InterruptedException {
        Bootstrap b = new Bootstrap().group(group)
                .channelFactory(() -> new EpollDatagramChannel(ipv6 ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET))
                .handler(new ChannelInboundHandlerAdapter());
        FragmentationOptions.apply(b, true, ipv6, allow);
        return b.bind(new InetSocketAddress(address, 0)).sync().channel();
    }
}
