package dev.overlay.gateway;

import static dev.overlay.gateway.TwoGateways.frame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.SegmentedDatagramPacket;
import io.netty.util.ReferenceCountUtil;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * UDP GSO on send and UDP_GRO on receive, on real sockets: the kernel's own segmentation is the
 * oracle for what a train puts on the wire, a plain socket without GRO sees it.
 */
class UnderlayGsoTest {
    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @TempDir
    Path dir;

    @Test
    void thisKernelAndNettyHaveUdpGsoAndEpoll() {
        // Linux >= 4.18 (UDP_SEGMENT); the gateway falls back to sendmmsg without it, but CI runs 6.x.
        assertTrue(Epoll.isAvailable(), () -> String.valueOf(Epoll.unavailabilityCause()));
        assertTrue(EpollDatagramChannel.isSegmentedDatagramPacketSupported());
    }

    @Test
    void aTrainLeavesAsItsDatagramsOnTheWireWithTheLastShorter() throws Exception {
        List<byte[]> sent = datagrams(10, 1200, 700);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try (DatagramSocket plain = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            plain.setSoTimeout(2000);
            Channel tx = sender(group);
            sendTrain(tx, sent, (InetSocketAddress) plain.getLocalSocketAddress());
            byte[] buf = new byte[65535];
            for (int i = 0; i < sent.size(); i++) {
                java.net.DatagramPacket p = new java.net.DatagramPacket(buf, buf.length);
                plain.receive(p);
                assertArrayEquals(sent.get(i), java.util.Arrays.copyOf(p.getData(), p.getLength()), "datagram " + i);
            }
            plain.setSoTimeout(200);
            assertThrowsTimeout(plain);
            tx.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void aGroSocketHandsOnEachDatagramOfATrainAlone() throws Exception {
        List<byte[]> sent = datagrams(40, 1100, 300);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        LinkedBlockingQueue<Object> got = new LinkedBlockingQueue<>();
        try {
            Bootstrap b = new Bootstrap().group(group).channel(EpollDatagramChannel.class)
                    .option(ChannelOption.ALLOCATOR, ALLOC)
                    .handler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            if (msg instanceof SegmentedDatagramPacket || !(msg instanceof DatagramPacket p)) {
                                got.add(msg.getClass().getName());
                            } else {
                                got.add(ByteBufUtil.getBytes(p.content()));
                            }
                            ReferenceCountUtil.release(msg);
                        }
                    });
            Underlay.readOptions(b, true, true, Underlay.READ_DATAGRAMS);
            Channel rx = b.bind(new InetSocketAddress(LOOPBACK, 0)).sync().channel();
            assertTrue(rx.config().getOption(EpollChannelOption.UDP_GRO), "UDP_GRO is on");
            Channel tx = sender(group);
            sendTrain(tx, sent, (InetSocketAddress) rx.localAddress());
            for (int i = 0; i < sent.size(); i++) {
                Object o = got.poll(2, TimeUnit.SECONDS);
                assertNotNull(o, "datagram " + i + " arrived");
                assertTrue(o instanceof byte[], () -> "a plain datagram, not " + o);
                assertArrayEquals(sent.get(i), (byte[]) o, "datagram " + i);
            }
            assertNull(got.poll(200, TimeUnit.MILLISECONDS), "nothing more");
            tx.close().sync();
            rx.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void withAReadBudgetOneReadTakesEveryQueuedTrainBeforeItsBatchEnds() throws Exception {
        // The batch end (channelReadComplete) is where the far gateway writes its TAP trains: one
        // per GRO train cuts a tenant's TSO frame wherever the sender's 64 KB UDP train ended.
        int trains = 3;
        List<List<byte[]>> sent = new ArrayList<>();
        for (int t = 0; t < trains; t++) {
            sent.add(datagrams(20, 1000 + t, 100 + t));
        }
        int total = trains * 21;
        int budget = 128; // overlay.underlay.read-datagrams=128; the default, 1, ends a batch at each read
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        List<byte[]> got = java.util.Collections.synchronizedList(new ArrayList<>());
        LinkedBlockingQueue<Integer> batchEnds = new LinkedBlockingQueue<>();
        try {
            Bootstrap b = new Bootstrap().group(group).channel(EpollDatagramChannel.class)
                    .option(ChannelOption.ALLOCATOR, ALLOC)
                    .option(ChannelOption.AUTO_READ, false)
                    .handler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            got.add(ByteBufUtil.getBytes(((DatagramPacket) msg).content()));
                            ReferenceCountUtil.release(msg);
                        }

                        @Override
                        public void channelReadComplete(ChannelHandlerContext ctx) {
                            batchEnds.add(got.size());
                        }
                    });
            Underlay.readOptions(b, true, true, budget);
            Channel rx = b.bind(new InetSocketAddress(LOOPBACK, 0)).sync().channel();
            int port = ((InetSocketAddress) rx.localAddress()).getPort();
            Channel tx = sender(group);
            for (List<byte[]> train : sent) {
                int before = queuedBytes(port);
                sendTrain(tx, train, (InetSocketAddress) rx.localAddress());
                awaitQueued(port, before);
            }
            rx.config().setAutoRead(true);
            Integer first = batchEnds.poll(5, TimeUnit.SECONDS);
            assertEquals(total, first, "the first batch ends after every queued datagram, not after one train");
            List<byte[]> expected = sent.stream().flatMap(List::stream).toList();
            for (int i = 0; i < total; i++) {
                assertArrayEquals(expected.get(i), got.get(i), "datagram " + i + " in order");
            }
            tx.close().sync();
            rx.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /**
     * The receive queue of the UDP socket bound to {@code port} in bytes, from /proc/net/udp or
     * udp6 (Netty's epoll socket is dual-stack, so an IPv4 bind may be listed in either); 0 if none.
     */
    private static int queuedBytes(int port) throws java.io.IOException {
        String hexPort = String.format(":%04X", port);
        for (String table : List.of("/proc/net/udp", "/proc/net/udp6")) {
            for (String line : java.nio.file.Files.readAllLines(Path.of(table))) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 4 && f[1].endsWith(hexPort)) {
                    return Integer.parseInt(f[4].substring(f[4].indexOf(':') + 1), 16);
                }
            }
        }
        return 0;
    }

    /** Waits (at most 5 s) until the socket's receive queue has grown past {@code before}. */
    private static void awaitQueued(int port, int before) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (queuedBytes(port) <= before) {
            assertTrue(System.nanoTime() < deadline, "the train reached the socket's queue");
            Thread.sleep(1);
        }
    }

    @Test
    void aBurstOfEqualFramesCrossesInGsoTrainsAndEachEspPacketOpensAlone() throws Exception {
        try (TwoGateways gws = new TwoGateways(dir, "udp").start()) {
            Underlay a = underlay(gws.gwA);
            Underlay b = underlay(gws.gwB);
            assertTrue(a.gso(), "gw-a sends with GSO");
            assertTrue(b.gro(), "gw-b reads with GRO");
            TwoGateways.End blueA = gws.end("blue", 0);
            TwoGateways.End blueB = gws.end("blue", 1);
            int n = 400;
            String pad = "x".repeat(900);
            for (int i = 0; i < n; i++) {
                blueA.inject(frame(GatewayTest.MAC_2, GatewayTest.MAC_1, String.format("gso %05d ", i) + pad));
            }
            for (int i = 0; i < n; i++) {
                assertArrayEquals(frame(GatewayTest.MAC_2, GatewayTest.MAC_1, String.format("gso %05d ", i) + pad),
                        blueB.take(), "frame " + i);
            }
            GatewayStats sa = gws.gwA.stats();
            GatewayStats sb = gws.gwB.stats();
            assertEquals(n, sb.sa("0x00001001", "in").packets(), "every ESP packet opened on its own");
            assertEquals(0, sa.totalDrops(), () -> "gw-a drops " + sa.drops());
            assertEquals(0, sb.totalDrops(), () -> "gw-b drops " + sb.drops());
            // The worker seals faster than the test injects only rarely: most of a burst queues up.
            assertTrue(sa.underlayGsoTrains() > 0 && sa.underlayGsoDatagrams() > sa.underlayGsoTrains(),
                    () -> "trains " + sa.underlayGsoTrains() + " carrying " + sa.underlayGsoDatagrams());
            assertTrue(sa.underlayGsoDatagrams() <= n);
            // The same counts on the metrics endpoint, where an operator reads the mean train.
            String metrics = GatewayLifecycleTest.scrape(gws.gwA);
            assertEquals(sa.underlayGsoTrains(), unlabelled(metrics, "overlay_underlay_gso_trains_total"), metrics);
            assertEquals(sa.underlayGsoDatagrams(), unlabelled(metrics, "overlay_underlay_gso_datagrams_total"), metrics);
        }
    }

    /** The value of a metric that has no labels. */
    private static long unlabelled(String exposition, String metric) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^" + metric + " (\\S+)$").matcher(exposition);
        assertTrue(m.find(), metric + " is exported");
        return (long) Double.parseDouble(m.group(1));
    }

    private static Underlay underlay(Gateway gw) throws ReflectiveOperationException {
        java.lang.reflect.Field f = Gateway.class.getDeclaredField("underlay");
        f.setAccessible(true);
        return (Underlay) f.get(gw);
    }

    /** {@code full} datagrams of {@code size} bytes, then one of {@code last}; each byte says which. */
    private static List<byte[]> datagrams(int full, int size, int last) {
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i <= full; i++) {
            byte[] d = new byte[i == full ? last : size];
            for (int j = 0; j < d.length; j++) {
                d[j] = (byte) (i * 31 + j);
            }
            out.add(d);
        }
        return out;
    }

    private static Channel sender(EventLoopGroup group) throws InterruptedException {
        return new Bootstrap().group(group).channel(EpollDatagramChannel.class)
                .option(ChannelOption.ALLOCATOR, ALLOC)
                .handler(new ChannelInboundHandlerAdapter())
                .bind(new InetSocketAddress(LOOPBACK, 0)).sync().channel();
    }

    /** As the underlay does: the datagrams joined into one train, sent as one GSO datagram. */
    private static void sendTrain(Channel tx, List<byte[]> datagrams, InetSocketAddress to) throws InterruptedException {
        UdpTrain train = new UdpTrain(1472, 65507);
        for (byte[] d : datagrams) {
            assertTrue(train.fits(d.length) && train.continues(tx, to, d.length));
            train.add(tx, ALLOC.directBuffer(d.length).writeBytes(d), to);
        }
        assertFalse(train.count() < datagrams.size());
        int segment = train.segmentSize();
        tx.writeAndFlush(new SegmentedDatagramPacket(train.drainComposite(ALLOC), segment, to)).sync();
    }

    private static void assertThrowsTimeout(DatagramSocket s) throws Exception {
        try {
            s.receive(new java.net.DatagramPacket(new byte[65535], 65535));
            throw new AssertionError("a datagram more than the train held");
        } catch (java.net.SocketTimeoutException expected) {
            // nothing more: the train was exactly its datagrams
        }
    }
}
