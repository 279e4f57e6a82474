package dev.overlay.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The SPI-steering program against the Linux kernel itself: UDP sockets in one SO_REUSEPORT
 * group, datagrams all from one source address and port (so the kernel's own 4-tuple hash would
 * put every one on the same socket), and each must reach the socket of its SPI's owner.
 */
class ReuseportSteeringTest {

    @Test
    void theKernelDeliversEachSpiToItsOwnersSocket() throws Exception {
        int sockets = 3;
        Map<Integer, Integer> owners = new LinkedHashMap<>();
        owners.put(0x1001, 2);
        owners.put(0x2002, 0);
        owners.put(0x3003, 1);
        owners.put(0xC000_0001, 2); // an SPI above 2^31: the program compares unsigned words
        Map<Integer, Integer> received = new ConcurrentHashMap<>();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        Channel[] chs = new Channel[sockets];
        try {
            int port = 0;
            for (int i = 0; i < sockets; i++) {
                int index = i;
                chs[i] = new Bootstrap().group(group).channel(EpollDatagramChannel.class)
                        .option(EpollChannelOption.SO_REUSEPORT, true)
                        .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {
                                received.put(p.content().getInt(0), index);
                            }
                        })
                        .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)).sync().channel();
                port = ((InetSocketAddress) chs[i].localAddress()).getPort();
            }
            int fd = ((EpollDatagramChannel) chs[0]).fd().intValue();
            assertNull(ReuseportSteering.attach(fd, ReuseportSteering.program(owners, sockets)));
            try (DatagramSocket sender = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
                for (int spi : owners.keySet()) {
                    byte[] payload = ByteBuffer.allocate(64).putInt(spi).putInt(1).array();
                    sender.send(new java.net.DatagramPacket(payload, payload.length, InetAddress.getLoopbackAddress(), port));
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (received.size() < owners.size() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(owners, received);
            assertNull(ReuseportSteering.attach(fd, null), "detaching");
        } finally {
            for (Channel ch : chs) {
                if (ch != null) {
                    ch.close().sync();
                }
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void theProgramIsOnePairPerSaAndStopsAtTheKernelsLimit() {
        ReuseportSteering.Instruction[] p = ReuseportSteering.program(Map.of(0x100, 1), 2);
        // ld, jeq, ja, ret hash, ret 0, ret 1
        assertEquals(6, p.length);
        assertEquals(0x20, p[0].code());
        assertEquals(new ReuseportSteering.Instruction((short) 0x15, 0, 1, 0x100), p[1]);
        assertEquals(new ReuseportSteering.Instruction((short) 0x05, 0, 0, 2), p[2], "ja from 2 to ret #1 at 5");
        assertEquals(-1, p[3].k());
        assertEquals(1, p[5].k());
        Map<Integer, Integer> many = new LinkedHashMap<>();
        IntStream.range(0, 2046).forEach(i -> many.put(0x1000 + i, i % 2));
        assertEquals(4096, ReuseportSteering.program(many, 2).length);
        many.put(0x9999_9999, 0);
        assertNull(ReuseportSteering.program(many, 2), "over BPF_MAXINSNS: the kernel's hash instead");
    }
}
