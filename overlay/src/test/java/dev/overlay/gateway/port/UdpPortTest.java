package dev.overlay.gateway.port;

import static dev.overlay.gateway.port.PortTesting.portThreads;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.config.PortConfig;
import dev.overlay.datapath.Buffers;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.IoEventLoopGroup;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** UDP ports (QEMU -netdev dgram) on loopback, with plain JDK sockets as the other side. */
class UdpPortTest {
    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @Test
    void framesRoundTripOneDatagramEachWithHeadroomAndNoCopy() throws Exception {
        try (DatagramSocket remote = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            remote.setSoTimeout(5000);
            InetSocketAddress listen = new InetSocketAddress(LOOPBACK, freePort());
            PortTesting.Frames frames = new PortTesting.Frames();
            TenantPort port = Ports.open(
                    new PortConfig.UdpPort(listen, (InetSocketAddress) remote.getLocalSocketAddress()), ALLOC);
            String name = "udp:127.0.0.1:" + listen.getPort();
            try {
                assertEquals(name, port.name());
                port.start(frames);

                byte[] out = frame(60, 1);
                ByteBuf outBuf = Buffers.frame(ALLOC, out, 0, out.length);
                assertTrue(port.send(outBuf));
                DatagramPacket got = new DatagramPacket(new byte[2048], 2048);
                remote.receive(got);
                assertArrayEquals(out, Arrays.copyOf(got.getData(), got.getLength()));
                assertEquals(listen.getPort(), got.getPort());

                byte[] in = frame(1514, 2);
                remote.send(new DatagramPacket(in, in.length, listen));
                ByteBuf frame = frames.next(f -> true);
                assertEquals(Buffers.HEADROOM, frame.readerIndex());
                assertTrue(frame.writableBytes() >= Buffers.TAILROOM);
                assertTrue(frame.isDirect());
                assertArrayEquals(in, TapPortTest.bytes(frame, 0, frame.readableBytes()));
                frame.release();
                assertEquals(0, frame.refCnt());

                awaitCount(() -> port.counters().txFrames.sum(), 1);
                assertEquals(60, port.counters().txBytes.sum());
                assertEquals(1, port.counters().rxFrames.sum());
                assertEquals(1514, port.counters().rxBytes.sum());
            } finally {
                port.close();
                port.close();
                frames.releaseAll();
            }
            assertEquals(List.of(), portThreads(name));
        }
    }

    @Test
    void datagramsFromAnyoneButRemoteAndRuntsAreDroppedAndCounted() throws Exception {
        try (DatagramSocket remote = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
                DatagramSocket stranger = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            InetSocketAddress listen = new InetSocketAddress(LOOPBACK, freePort());
            PortTesting.Frames frames = new PortTesting.Frames();
            try (TenantPort port = Ports.open(
                    new PortConfig.UdpPort(listen, (InetSocketAddress) remote.getLocalSocketAddress()), ALLOC)) {
                port.start(frames);
                byte[] injected = frame(60, 3);
                stranger.send(new DatagramPacket(injected, injected.length, listen));
                remote.send(new DatagramPacket(new byte[13], 13, listen)); // shorter than Ethernet
                byte[] big = new byte[Ports.MAX_FRAME + 1];
                remote.send(new DatagramPacket(big, big.length, listen));
                byte[] marker = frame(64, 4);
                remote.send(new DatagramPacket(marker, marker.length, listen));
                ByteBuf first = frames.queue.poll(5, TimeUnit.SECONDS);
                // Sockets deliver in order: the three drops came first and none got through.
                assertArrayEquals(marker, TapPortTest.bytes(first, 0, first.readableBytes()));
                first.release();
                assertEquals(3, port.counters().rxErrors.sum());
                assertEquals(1, port.counters().rxFrames.sum());
            } finally {
                frames.releaseAll();
            }
        }
    }

    @Test
    void portsShareOneEventLoopGroupTheGatewayOwns() throws Exception {
        IoEventLoopGroup group = Ports.newEventLoopGroup(1, "test-udp");
        InetSocketAddress a = new InetSocketAddress(LOOPBACK, freePort());
        InetSocketAddress b = new InetSocketAddress(LOOPBACK, freePort());
        PortTesting.Frames atB = new PortTesting.Frames();
        try (TenantPort portA = Ports.open(new PortConfig.UdpPort(a, b), ALLOC, group);
                TenantPort portB = Ports.open(new PortConfig.UdpPort(b, a), ALLOC, group)) {
            portA.start(new PortTesting.Frames());
            portB.start(atB);
            byte[] sent = frame(100, 5);
            assertTrue(portA.send(Buffers.frame(ALLOC, sent, 0, sent.length)));
            ByteBuf got = atB.next(f -> true);
            assertArrayEquals(sent, TapPortTest.bytes(got, 0, got.readableBytes()));
            got.release();
        } finally {
            atB.releaseAll();
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
        }
        assertTrue(group.isTerminated());
    }

    @Test
    void portOnAnEpollGroupCopiesEachFrameBehindHeadroom() throws Exception {
        // The gateway shares its underlay group, which is epoll when the native library loads; the
        // parent pins Netty to the newest release whose linux-x86_64 library is on Central.
        assertTrue(io.netty.channel.epoll.Epoll.isAvailable(), () -> "epoll: " + io.netty.channel.epoll.Epoll.unavailabilityCause());
        IoEventLoopGroup group = new io.netty.channel.MultiThreadIoEventLoopGroup(1,
                io.netty.channel.epoll.EpollIoHandler.newFactory());
        try (DatagramSocket remote = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            InetSocketAddress listen = new InetSocketAddress(LOOPBACK, freePort());
            PortTesting.Frames frames = new PortTesting.Frames();
            try (TenantPort port = Ports.open(
                    new PortConfig.UdpPort(listen, (InetSocketAddress) remote.getLocalSocketAddress()), ALLOC, group)) {
                port.start(frames);
                byte[] in = frame(60, 7);
                remote.send(new DatagramPacket(in, in.length, listen));
                ByteBuf frame = frames.next(f -> true);
                assertEquals(Buffers.HEADROOM, frame.readerIndex());
                assertTrue(frame.writableBytes() >= Buffers.TAILROOM);
                assertArrayEquals(in, TapPortTest.bytes(frame, 0, frame.readableBytes()));
                frame.release();
            } finally {
                frames.releaseAll();
            }
        } finally {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void sendAfterCloseIsDroppedCountedAndReleased() throws Exception {
        InetSocketAddress listen = new InetSocketAddress(LOOPBACK, freePort());
        TenantPort port = Ports.open(new PortConfig.UdpPort(listen, new InetSocketAddress(LOOPBACK, 9)), ALLOC);
        port.close();
        ByteBuf frame = Buffers.frame(ALLOC, frame(60, 6), 0, 60);
        assertFalse(port.send(frame));
        assertEquals(0, frame.refCnt());
        assertEquals(1, port.counters().txDropped.sum());
    }

    @Test
    void addressInUseIsOneSentence() throws Exception {
        try (DatagramSocket taken = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            int p = taken.getLocalPort();
            PortException e = assertThrows(PortException.class, () -> Ports.open(new PortConfig.UdpPort(
                    new InetSocketAddress(LOOPBACK, p), new InetSocketAddress(LOOPBACK, 9)), ALLOC));
            assertEquals("udp 127.0.0.1:" + p + ": cannot bind: address in use", e.getMessage());
            assertEquals(List.of(), portThreads("udp:127.0.0.1:" + p));
        }
    }

    @Test
    void foreignAddressIsOneSentence() {
        PortException e = assertThrows(PortException.class, () -> Ports.open(new PortConfig.UdpPort(
                new InetSocketAddress("192.0.2.77", 7001), new InetSocketAddress(LOOPBACK, 9)), ALLOC));
        assertEquals("udp 192.0.2.77:7001: cannot bind: address not available on this host", e.getMessage());
    }

    /** An Ethernet-looking frame: broadcast destination, a locally administered source, then a pattern. */
    static byte[] frame(int length, int seed) {
        byte[] frame = new byte[length];
        Arrays.fill(frame, 0, 6, (byte) 0xff);
        frame[6] = 0x02;
        frame[11] = (byte) seed;
        frame[12] = (byte) 0x88;
        frame[13] = (byte) 0xb5;
        for (int i = 14; i < length; i++) {
            frame[i] = (byte) (i * 7 + seed);
        }
        return frame;
    }

    static int freePort() throws Exception {
        try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            return probe.getLocalPort();
        }
    }

    private static void awaitCount(java.util.function.LongSupplier counter, long expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (counter.getAsLong() < expected && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(expected, counter.getAsLong());
    }
}
