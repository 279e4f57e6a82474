package dev.overlay.gateway.port;

import static dev.overlay.gateway.port.PortTesting.portThreads;
import static dev.overlay.gateway.port.PortTesting.requireRoot;
import static dev.overlay.gateway.port.PortTesting.run;
import static dev.overlay.gateway.port.PortTesting.sh;
import static dev.overlay.gateway.port.PortTesting.uniqueName;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.config.PortConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A port's reader that hands its descriptor to a worker's event loop while its frames go there
 * ({@link LoopReader}), for a TAP queue and for a pcap port's packet socket: the thread reads
 * first, a window later the frames arrive on the loop's thread, when they spread out the thread
 * reads again, nothing is lost on the way, and after close() nothing more is read. The window's
 * rule on its own, below.
 */
class LoopReaderTest {
    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;
    private static final int DISCARD = 9;

    /** Two epoll loops for the reader; each batch's frames reported as handed to worker {@code to} (-1: 3 to 0 for 2 to 1). */
    private static final class Sink implements TenantPort.FrameSink {
        final IoEventLoop[] loops;
        final ConcurrentLinkedQueue<Thread> readers = new ConcurrentLinkedQueue<>();
        final AtomicInteger datagrams = new AtomicInteger();
        final AtomicInteger afterClose = new AtomicInteger();
        volatile boolean closed;
        volatile int to = 1;
        /** The test's datagrams carry a sequence number (first 8 bytes); one that is not above the last counts. */
        final java.util.concurrent.atomic.AtomicLong lastSequence = new java.util.concurrent.atomic.AtomicLong(-1);
        final AtomicInteger reordered = new AtomicInteger();
        /** Time spent on each frame (busy), so that a reader is nearly always inside a batch. */
        volatile long nanosPerFrame;
        volatile String device;

        long kernelDrops() {
            try {
                return Long.parseLong(Files.readString(Path.of("/sys/class/net", device, "statistics", "tx_dropped")).strip());
            } catch (java.io.IOException e) {
                return -1;
            }
        }
        private int sinceBatch;
        private int spread;

        Sink(IoEventLoop... loops) {
            this.loops = loops;
        }

        @Override
        public void receive(TenantPort port, ByteBuf frame) {
            try {
                for (long end = System.nanoTime() + nanosPerFrame; System.nanoTime() < end; ) {
                    Thread.onSpinWait();
                }
                if (closed) {
                    afterClose.incrementAndGet();
                }
                // UDP to the discard port, IPv4 without options: the test's own datagrams.
                if (frame.readableBytes() >= 42 && frame.getUnsignedShort(frame.readerIndex() + 12) == 0x0800
                        && frame.getUnsignedByte(frame.readerIndex() + 23) == 17
                        && frame.getUnsignedShort(frame.readerIndex() + 36) == DISCARD) {
                    datagrams.incrementAndGet();
                    readers.add(Thread.currentThread());
                    if (frame.readableBytes() >= 50) {
                        long sequence = frame.getLong(frame.readerIndex() + 42);
                        if (sequence <= lastSequence.getAndSet(sequence)) {
                            reordered.incrementAndGet();
                        }
                    }
                }
                sinceBatch++;
            } finally {
                frame.release();
            }
        }

        @Override
        public int readLoops() {
            return loops.length;
        }

        @Override
        public IoEventLoop readLoop(int worker) {
            return loops[worker];
        }

        @Override
        public void readBatchEnd(int[] handed) {
            if (to < 0) {
                for (int i = 0; i < sinceBatch; i++) {
                    handed[spread++ % 5 < 3 ? 0 : 1]++;
                }
            } else {
                handed[to] += sinceBatch;
            }
            sinceBatch = 0;
        }
    }

    @Test
    void aTapQueueGoesToTheLoopItsFramesGoToAndBackToItsThreadWhenTheySpreadLosingNothing() throws Exception {
        requireRoot();
        String tap = uniqueName("ovl");
        String[] addresses = addresses();
        TapPort port = (TapPort) Ports.open(new PortConfig.TapPort(tap, 1), ALLOC);
        handsOverAndBack(port, tap, "tap:" + tap, "port-tap:" + tap + "/0", addresses,
                () -> port.loopReaders().size() == 1 ? port.loopReaders().get(0) : null);
    }

    /**
     * The same for a pcap port on one end of a veth pair: the test's datagrams leave through the
     * other end (its address and the peer's neighbour entry on it), so the port reads them inbound.
     */
    @Test
    void aPcapPortsSocketGoesToTheLoopItsFramesGoToAndBackToItsThreadWhenTheySpreadLosingNothing() throws Exception {
        requireRoot();
        String near = uniqueName("ovl");
        String far = near + "f";
        String[] addresses = addresses();
        sh("ip", "link", "add", near, "type", "veth", "peer", "name", far);
        try {
            sh("ip", "link", "set", near, "up");
            PcapPort port = (PcapPort) Ports.open(new PortConfig.PcapPort(near), ALLOC);
            handsOverAndBack(port, far, "pcap:" + near, "port-pcap:" + near, addresses, port::loopReader);
        } finally {
            run("ip", "link", "del", near);
        }
    }

    /**
     * A pcap port closed under a flood while a worker's loop reads it, the loop inside a batch:
     * the reader's native structures (the msghdr, the address, the control buffer) live as long
     * as any read can use them. Once they were freed before the loop had stopped, and the loop's
     * next read met a closed arena (or the close met the loop's read). Ten rounds; each must end
     * with no exception on any thread and no reader left.
     */
    @Test
    void aPcapPortClosedUnderAFloodWhileAWorkersLoopReadsItEndsCleanly() throws Exception {
        requireRoot();
        closesCleanlyUnderAFlood(LoopReaderTest::openPcap);
    }

    /** The same for a TAP queue (its reader's buffer is a pooled one, freed after the worker half stops). */
    @Test
    void aTapQueueClosedUnderAFloodWhileAWorkersLoopReadsItEndsCleanly() throws Exception {
        requireRoot();
        closesCleanlyUnderAFlood(LoopReaderTest::openTap);
    }

    /**
     * Under a flood, the sink's worker changes every 100 ms (worker 1, spread, worker 0, ...): the
     * descriptor moves between the thread and both loops several times a second, and
     * the frames, numbered by the sender, still come out in order (one reader at a time), with no
     * exception anywhere. The kernel may drop some of the flood: gaps are allowed, going back is not.
     */
    @Test
    void aDescriptorMovingBetweenThreadAndLoopsUnderAFloodKeepsItsFramesInOrder() throws Exception {
        requireRoot();
        for (Opener opener : List.<Opener>of(LoopReaderTest::openPcap, LoopReaderTest::openTap)) {
            Opened o = opener.open();
            MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            List<Throwable> thrown = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread flood = null;
            Sink sink = new Sink(group.next(), group.next());
            try {
                o.port().start(sink);
                DatagramSocket s = wire(o.device(), addresses());
                InetAddress to = s.getInetAddress();
                flood = Thread.ofPlatform().start(() -> {
                    byte[] payload = new byte[64];
                    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(payload);
                    try (s) {
                        for (long n = 0; !stop.get(); n++) {
                            b.putLong(0, n);
                            s.send(new DatagramPacket(payload, payload.length, to, DISCARD));
                        }
                    } catch (java.io.IOException e) {
                        if (!stop.get()) {
                            thrown.add(e);
                        }
                    }
                });
                LoopReader reader = await(o.half());
                int[] order = {1, -1, 0, 1, 0, -1};
                // A phase of 100 ms is a few windows at the ~30,000 datagrams a second one Java
                // thread sends: each phase change is a move (or a hand-back) soon after.
                long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2_500);
                for (int i = 0; System.nanoTime() < end; i++) {
                    sink.to = order[i % order.length];
                    Thread.sleep(100);
                }
                stop.set(true);
                flood.join();
                long moves = reader.moves();
                assertTrue(moves >= 5, o.name() + ": the descriptor moved " + moves + " times; read " + sink.datagrams.get());
                assertTrue(sink.datagrams.get() > 20_000, o.name() + ": read " + sink.datagrams.get());
                assertEquals(0, sink.reordered.get(), o.name() + ": frames out of order after " + moves + " moves");
                assertEquals(List.of(), thrown, o.name());
            } finally {
                stop.set(true);
                if (flood != null) {
                    flood.join();
                }
                o.port().close();
                if (o.link() != null) {
                    run("ip", "link", "del", o.link());
                }
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            }
        }
    }

    /**
     * Gives {@code device} the first of {@code addresses} and a neighbour entry for the second,
     * and returns a socket bound to the first and connected to the second (its datagrams leave
     * by {@code device}).
     */
    private static DatagramSocket wire(String device, String[] addresses) throws Exception {
        sh("ip", "addr", "add", addresses[0] + "/30", "dev", device);
        sh("ip", "link", "set", device, "up");
        sh("ip", "neigh", "replace", addresses[1], "lladdr", "02:00:00:c0:ff:02", "dev", device);
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(addresses[0]), 0));
        s.connect(InetAddress.getByName(addresses[1]), DISCARD);
        return s;
    }

    /** A pcap port on one end of a new veth pair; the test's datagrams leave by the other end. */
    private static Opened openPcap() throws Exception {
        String near = uniqueName("ovl");
        String far = near + "f";
        sh("ip", "link", "add", near, "type", "veth", "peer", "name", far);
        sh("ip", "link", "set", near, "up");
        PcapPort port = (PcapPort) Ports.open(new PortConfig.PcapPort(near), ALLOC);
        return new Opened(port, far, "pcap:" + near, port::loopReader, near);
    }

    /** A one-queue TAP port; the test's datagrams leave by the TAP itself. */
    private static Opened openTap() throws Exception {
        String tap = uniqueName("ovl");
        TapPort port = (TapPort) Ports.open(new PortConfig.TapPort(tap, 1), ALLOC);
        return new Opened(port, tap, "tap:" + tap,
                () -> port.loopReaders().size() == 1 ? port.loopReaders().get(0) : null, null);
    }

    /** A port opened for a round: the device the flood leaves by, its worker half, and a link to delete after (or null). */
    private record Opened(TenantPort port, String device, String name, java.util.function.Supplier<LoopReader> half,
                          String link) {}

    @FunctionalInterface
    private interface Opener {
        Opened open() throws Exception;
    }

    private static void closesCleanlyUnderAFlood(Opener opener) throws Exception {
        List<Throwable> thrown = new java.util.concurrent.CopyOnWriteArrayList<>();
        Thread.UncaughtExceptionHandler before = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> thrown.add(e));
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        java.util.logging.Handler logged = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (r.getThrown() != null) {
                    thrown.add(r.getThrown());
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        root.addHandler(logged);
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
        try {
            for (int round = 0; round < 10; round++) {
                String[] addresses = addresses();
                java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
                Thread flood = null;
                Opened o = opener.open();
                try {
                    Sink sink = new Sink(group.next(), group.next());
                    sink.nanosPerFrame = 20_000;
                    o.port().start(sink);
                    DatagramSocket s = wire(o.device(), addresses);
                    InetAddress to = s.getInetAddress();
                    flood = Thread.ofPlatform().start(() -> {
                        try (s) {
                            while (!stop.get()) {
                                s.send(new DatagramPacket(new byte[64], 64, to, DISCARD));
                            }
                        } catch (java.io.IOException e) {
                            if (!stop.get()) { // a closed TAP is a deleted device: its route is gone
                                thrown.add(e);
                            }
                        }
                    });
                    LoopReader reader = await(o.half());
                    await(() -> reader.worker() == 1 ? reader : null);
                    Thread.sleep(ThreadLocalRandom.current().nextInt(1, 20));
                    stop.set(true); // the flood's last sends may race the close; frames queued are read meanwhile
                    o.port().close();
                    sink.closed = true;
                    assertEquals(List.of(), portThreads(o.name()), "round " + round);
                } finally {
                    stop.set(true);
                    o.port().close();
                    if (flood != null) {
                        flood.join();
                    }
                    if (o.link() != null) {
                        run("ip", "link", "del", o.link());
                    }
                }
                assertEquals(List.of(), thrown, "round " + round);
            }
        } finally {
            root.removeHandler(logged);
            Thread.setDefaultUncaughtExceptionHandler(before);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** A local and a peer address in a /30 of 10.194.0.0/16 (random, so that runs side by side differ). */
    private static String[] addresses() {
        int subnet = ThreadLocalRandom.current().nextInt(1, 64) * 4;
        return new String[] {"10.194." + subnet + ".1", "10.194." + subnet + ".2"};
    }

    /**
     * Starts {@code port} with two loops, gives {@code device} (the TAP, or the veth end that
     * sends to the port) the local address and a neighbour entry for the peer, and sends three
     * phases of datagrams to the peer: all to worker 1 (the loop takes over), spread (back to
     * the thread), all to worker 1 again. Closes the port.
     */
    private static void handsOverAndBack(TenantPort port, String device, String portName, String thread,
                                         String[] addresses, java.util.function.Supplier<LoopReader> half)
            throws Exception {
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
        IoEventLoop first = group.next();
        IoEventLoop second = group.next();
        assertNotSame(first, second);
        Sink sink = new Sink(first, second);
        sink.device = device;
        int phase = 2 * LoopReader.WINDOW;
        String local = addresses[0];
        String peer = addresses[1];
        try {
            port.start(sink);
            sh("ip", "addr", "add", local + "/30", "dev", device);
            sh("ip", "link", "set", device, "up");
            sh("ip", "neigh", "replace", peer, "lladdr", "02:00:00:c0:ff:02", "dev", device);
            LoopReader reader = await(half);
            assertEquals(-1, reader.worker(), "the thread reads first");
            try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(local), 0))) {
                InetAddress to = InetAddress.getByName(peer);
                send(s, to, phase, sink, 0); // all handed to worker 1: its loop takes the descriptor
                assertEquals(1, reader.worker());
                assertEquals(1, reader.moves());
                assertEquals(1, port.queuesOnWorkers(), "the port says a worker reads its queue");
                sink.to = -1; // now spread, 3 to worker 0 for 2 to worker 1: back to the thread
                send(s, to, phase, sink, phase);
                assertEquals(-1, reader.worker());
                assertEquals(0, port.queuesOnWorkers(), "and that none does");
                sink.to = 1; // and once more to the loop
                send(s, to, phase, sink, 2 * phase);
                assertEquals(1, reader.worker());
                assertEquals(2, reader.moves());
                assertEquals(2, port.readerMoves());
            }
            List<Thread> threads = List.copyOf(sink.readers);
            assertEquals(3 * phase, threads.size());
            assertEquals(thread, threads.get(0).getName(), "read first on the port's thread");
            int moved = indexOf(threads, second::inEventLoop, 0);
            assertTrue(moved >= LoopReader.WINDOW - 64 && moved <= LoopReader.WINDOW + 64, "moved after a window: " + moved);
            int back = indexOf(threads, t -> t.getName().equals(thread), moved);
            assertTrue(back > phase, "back on the thread in the second phase: " + back);
            assertTrue(threads.subList(moved, back).stream().allMatch(second::inEventLoop), "one reader at a time");
            assertTrue(second.inEventLoop(threads.get(threads.size() - 1)), "read last on loop 1");
            assertTrue(threads.stream().noneMatch(first::inEventLoop), "never on loop 0: nothing went to worker 0 alone");
        } finally {
            port.close();
            sink.closed = true;
        }
        // close() returned: the thread has ended, no read runs on the loop and none will.
        assertEquals(List.of(), portThreads(portName));
        Thread.sleep(50);
        assertEquals(0, sink.afterClose.get());
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /**
     * Sends {@code count} datagrams through the TAP, 32 at a time, each batch once the one before
     * was read: far within the device's queue (500), so a frame can only go missing in a hand-over.
     */
    private static void send(DatagramSocket s, InetAddress to, int count, Sink sink, int before) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        for (int i = 0; i < count; i++) {
            s.send(new DatagramPacket(new byte[64], 64, to, DISCARD));
            if (i % 32 == 31) {
                while (sink.datagrams.get() < before + i + 1 && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
            }
        }
        while (sink.datagrams.get() < before + count && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(before + count, sink.datagrams.get(), "every datagram read, none lost at a hand-over (the kernel dropped "
                + sink.kernelDrops() + "; read by " + sink.readers.stream().collect(java.util.stream.Collectors.groupingBy(
                        Thread::getName, java.util.stream.Collectors.counting())) + ")");
    }

    private static int indexOf(List<Thread> threads, java.util.function.Predicate<Thread> match, int from) {
        for (int i = from; i < threads.size(); i++) {
            if (match.test(threads.get(i))) {
                return i;
            }
        }
        throw new AssertionError("no such reader after " + from);
    }

    private static <T> T await(java.util.function.Supplier<T> value) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        for (T v; System.nanoTime() < deadline; Thread.sleep(5)) {
            if ((v = value.get()) != null) {
                return v;
            }
        }
        throw new AssertionError("not within 5 s");
    }

    @Test
    void aWindowHandsOverAtSevenEighthsKeepsAtThreeQuartersAndSpreadsBelow() {
        LoopReader.Window w = new LoopReader.Window(3);
        w.handed[1] = LoopReader.WINDOW - 1;
        assertEquals(LoopReader.Window.UNDECIDED, w.decide(-1), "not a full window");
        w.handed[0] = 1;
        assertEquals(1, w.decide(-1), "1023 of 1024 to worker 1");
        assertEquals(0, w.handed[1], "cleared once decided");
        w.handed[0] = 896;
        w.handed[2] = 128;
        assertEquals(0, w.decide(-1), "seven eighths exactly: the thread hands over");
        w.handed[0] = 895;
        w.handed[2] = 129;
        assertEquals(LoopReader.Window.SPREAD, w.decide(-1), "just below: the thread keeps it");
        w.handed[0] = 768;
        w.handed[2] = 256;
        assertEquals(0, w.decide(0), "three quarters on the current worker: it keeps the queue");
        w.handed[0] = 767;
        w.handed[2] = 257;
        assertEquals(LoopReader.Window.SPREAD, w.decide(0), "below: back to the thread");
        w.handed[0] = 100;
        w.handed[2] = 924;
        assertEquals(2, w.decide(0), "another worker took seven eighths: the queue moves there");
    }
}
