package dev.overlay.gateway.port;

import static dev.overlay.gateway.port.PortTesting.portThreads;
import static dev.overlay.gateway.port.PortTesting.requireRoot;
import static dev.overlay.gateway.port.PortTesting.run;
import static dev.overlay.gateway.port.PortTesting.sh;
import static dev.overlay.gateway.port.PortTesting.uniqueName;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.config.PortConfig;
import dev.overlay.datapath.Buffers;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * TAP ports against the kernel's own stack: the kernel ARPs through the device, the port reads the
 * request, answers it, and the kernel's neighbour table shows the answer was understood.
 */
class TapPortTest {
    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;
    private static final byte[] PEER_MAC = HexFormat.of().parseHex("020000c0ff02");

    @Test
    void kernelArpRequestIsReadAndArpReplySentTeachesTheNeighbourTable() throws Exception {
        requireRoot();
        String tap = uniqueName("ovt");
        Slash30 net = Slash30.random(199);
        String local = net.local();
        String peer = net.peer();
        PortTesting.Frames frames = new PortTesting.Frames();
        TenantPort port = Ports.open(new PortConfig.TapPort(tap, 1), ALLOC);
        try {
            port.start(frames);
            assertEquals("tap:" + tap, port.name());
            // The port brought the link up (SIOCSIFFLAGS); the operator only adds the address.
            assertTrue(sh("ip", "-o", "link", "show", "dev", tap).matches("(?s).*<[^>]*\\bUP\\b.*"));
            sh("ip", "addr", "add", local + "/30", "dev", tap);
            byte[] tapMac = HexFormat.ofDelimiter(":").parseHex(
                    Files.readString(Path.of("/sys/class/net", tap, "address")).strip());

            Process ping = new ProcessBuilder("ping", "-c", "1", "-W", "3", "-I", tap, peer)
                    .redirectErrorStream(true).start();
            try {
                ByteBuf request = frames.next(f -> isArp(f, 1, peer));
                try {
                    assertEquals(Buffers.HEADROOM, request.readerIndex());
                    assertTrue(request.writableBytes() >= Buffers.TAILROOM);
                    // The kernel's request: from the TAP's MAC and our address, broadcast.
                    assertEquals(HexFormat.of().formatHex(tapMac),
                            HexFormat.of().formatHex(bytes(request, 6, 6)));
                    assertEquals("ffffffffffff", HexFormat.of().formatHex(bytes(request, 0, 6)));
                    assertEquals(local, ipv4(request, 14 + 14));
                } finally {
                    request.release();
                }
                ByteBuf reply = Buffers.frame(ALLOC, arpReply(tapMac, peer, local), 0, 42);
                assertTrue(port.send(reply));
                assertEquals(0, reply.refCnt());
            } finally {
                ping.destroy();
                ping.waitFor();
            }
            String neighbours = sh("ip", "neigh", "show", "dev", tap);
            assertTrue(neighbours.contains(peer + " lladdr 02:00:00:c0:ff:02"), neighbours);
            assertTrue(port.counters().rxFrames.sum() >= 1);
            assertEquals(1, port.counters().txFrames.sum());
            assertEquals(42, port.counters().txBytes.sum());
        } finally {
            port.close();
            frames.releaseAll();
        }
        assertEquals(java.util.List.of(), portThreads("tap:" + tap));
        // Not persistent: closing the last descriptor removes the device.
        assertNotEquals(0, run("ip", "link", "show", "dev", tap).exit());
    }

    @Test
    void frameLongerThanMaxFrameIsCountedNotDelivered() throws Exception {
        requireRoot();
        String tap = uniqueName("ovt");
        Slash30 net = Slash30.random(198);
        String peer = net.peer();
        PortTesting.Frames frames = new PortTesting.Frames();
        try (TenantPort port = Ports.open(new PortConfig.TapPort(tap, 1), ALLOC)) {
            port.start(frames);
            sh("ip", "link", "set", "dev", tap, "mtu", "9500");
            sh("ip", "addr", "add", net.local() + "/30", "dev", tap);
            sh("ip", "neigh", "replace", peer, "lladdr", "02:00:00:c0:ff:02", "dev", tap);
            run("ping", "-c", "1", "-W", "1", "-s", "9400", "-M", "dont", peer); // 9442-byte frame
            run("ping", "-c", "1", "-W", "1", "-s", "100", peer); // 142-byte frame
            ByteBuf small = frames.next(f -> f.readableBytes() == 142);
            small.release();
            assertEquals(1, port.counters().rxErrors.sum());
            assertTrue(frames.queue.stream().noneMatch(f -> f.readableBytes() > Ports.MAX_FRAME));
        } finally {
            frames.releaseAll();
        }
    }

    @Test
    void framesTheKernelDropsAtTheFullDeviceQueueAreCountedFromWhenThePortOpened() throws Exception {
        requireRoot();
        String tap = uniqueName("ovt");
        Slash30 net = Slash30.random(196);
        // Not started: nothing reads the device, so its queue fills and the kernel drops the rest.
        try (TenantPort port = Ports.open(new PortConfig.TapPort(tap, 1), ALLOC)) {
            sh("ip", "addr", "add", net.local() + "/30", "dev", tap);
            sh("ip", "neigh", "replace", net.peer(), "lladdr", "02:00:00:c0:ff:02", "dev", tap);
            port.sampleKernelDrops();
            assertEquals(0, port.counters().rxKernelDrops.sum(), "nothing dropped yet");
            try (java.net.DatagramSocket s = new java.net.DatagramSocket(
                    new java.net.InetSocketAddress(java.net.InetAddress.getByName(net.local()), 0))) {
                java.net.InetAddress to = java.net.InetAddress.getByName(net.peer());
                for (int i = 0; i < 3000; i++) {
                    s.send(new java.net.DatagramPacket(new byte[64], 64, to, 9));
                }
            }
            // The kernel's own count, read the way an operator would, is the oracle.
            long kernel = Long.parseLong(Files.readString(
                    Path.of("/sys/class/net", tap, "statistics", "tx_dropped")).strip());
            assertTrue(kernel >= 1000, "the device's queue (500 frames) overflowed: tx_dropped " + kernel);
            port.sampleKernelDrops();
            assertEquals(kernel, port.counters().rxKernelDrops.sum());
            port.sampleKernelDrops();
            assertEquals(kernel, port.counters().rxKernelDrops.sum(), "a second sample adds nothing new");
        }
    }

    @Test
    void procNetDevTransmitDropsAreTheTwelfthColumnOfTheDevicesLine() {
        String text = """
                Inter-|   Receive                                                |  Transmit
                 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                    lo:    2016      32    0    0    0     0          0        31     1054      13    0    0    0     0       0          0
                  tap0: 14692747  222464    0    0    0     0          0         0 24975179346 11399541    0 3357453    0     0       0          0
                 tap01:1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16
                """;
        assertEquals(3357453, NetDevCounters.txDropped(text, "tap0"));
        assertEquals(12, NetDevCounters.txDropped(text, "tap01"), "no space after the colon, as for large counters");
        assertEquals(0, NetDevCounters.txDropped(text, "lo"));
        assertEquals(-1, NetDevCounters.txDropped(text, "tap"), "a name that only prefixes another is not it");
        assertEquals(-1, NetDevCounters.txDropped(text, "eth0"));
    }

    @Test
    void multiQueueTapHasOneReaderPerQueueAndTheKernelSeesMultiQueue() throws Exception {
        requireRoot();
        String tap = uniqueName("ovt");
        PortTesting.Frames frames = new PortTesting.Frames();
        TenantPort port = Ports.open(new PortConfig.TapPort(tap, 2), ALLOC);
        try {
            port.start(frames);
            int flags = Integer.decode(Files.readString(Path.of("/sys/class/net", tap, "tun_flags")).strip());
            assertEquals(Libc.IFF_TAP | Libc.IFF_NO_PI | Libc.IFF_MULTI_QUEUE, flags & 0x1103);
            assertEquals(2, portThreads("tap:" + tap).size(), portThreads("tap:" + tap).toString());
            String subnet = "10.197." + ThreadLocalRandom.current().nextInt(1, 250);
            sh("ip", "addr", "add", subnet + ".1/24", "dev", tap);
            // The kernel's ARP request arrives on whichever queue the flow hash picks.
            run("ping", "-c", "1", "-W", "1", "-I", tap, subnet + ".9");
            frames.next(f -> isArp(f, 1, subnet + ".9")).release();
        } finally {
            port.close();
            port.close(); // idempotent
            frames.releaseAll();
        }
        assertEquals(java.util.List.of(), portThreads("tap:" + tap));
    }

    @Test
    void sendAfterCloseIsDroppedCountedAndReleased() throws Exception {
        requireRoot();
        TenantPort port = Ports.open(new PortConfig.TapPort(uniqueName("ovt"), 1), ALLOC);
        port.start(new PortTesting.Frames());
        port.close();
        ByteBuf frame = Buffers.frame(ALLOC, new byte[60], 0, 60);
        assertFalse(port.send(frame));
        assertEquals(0, frame.refCnt());
        assertEquals(1, port.counters().txDropped.sum());
    }

    @Test
    void tooLongNameIsOneSentence() {
        PortException e = assertThrows(PortException.class,
                () -> Ports.open(new PortConfig.TapPort("tap-much-too-long-name", 1), ALLOC));
        assertEquals("tap tap-much-too-long-name: interface name is too long (22 bytes, at most 15)", e.getMessage());
    }

    @Test
    void existingNonTapInterfaceIsOneSentence() throws IOException {
        requireRoot();
        PortException e = assertThrows(PortException.class, () -> Ports.open(new PortConfig.TapPort("lo", 1), ALLOC));
        assertEquals("tap lo: an interface of that name exists and is not a single-queue TAP device", e.getMessage());
    }

    @Test
    void tapOpenTwiceIsBusy() throws Exception {
        requireRoot();
        String tap = uniqueName("ovt");
        try (TenantPort first = Ports.open(new PortConfig.TapPort(tap, 1), ALLOC)) {
            PortException e = assertThrows(PortException.class, () -> Ports.open(new PortConfig.TapPort(tap, 1), ALLOC));
            assertEquals("tap " + tap + ": device busy: another process has it open", e.getMessage());
            assertEquals("tap:" + tap, first.name());
        }
    }

    static boolean isArp(ByteBuf frame, int opcode, String targetIp) {
        int at = frame.readerIndex();
        return frame.readableBytes() >= 42 && frame.getUnsignedShort(at + 12) == 0x0806
                && frame.getUnsignedShort(at + 20) == opcode && ipv4(frame, 14 + 24).equals(targetIp);
    }

    static String ipv4(ByteBuf frame, int offset) {
        int at = frame.readerIndex() + offset;
        return frame.getUnsignedByte(at) + "." + frame.getUnsignedByte(at + 1) + "."
                + frame.getUnsignedByte(at + 2) + "." + frame.getUnsignedByte(at + 3);
    }

    static byte[] bytes(ByteBuf frame, int offset, int length) {
        byte[] out = new byte[length];
        frame.getBytes(frame.readerIndex() + offset, out);
        return out;
    }

    /** RFC 826 reply: PEER_MAC has {@code senderIp}, to {@code targetMac} at {@code targetIp}. */
    static byte[] arpReply(byte[] targetMac, String senderIp, String targetIp) throws IOException {
        ByteBuf b = io.netty.buffer.Unpooled.buffer(42);
        b.writeBytes(targetMac).writeBytes(PEER_MAC).writeShort(0x0806);
        b.writeShort(1).writeShort(0x0800).writeByte(6).writeByte(4).writeShort(2);
        b.writeBytes(PEER_MAC).writeBytes(java.net.InetAddress.getByName(senderIp).getAddress());
        b.writeBytes(targetMac).writeBytes(java.net.InetAddress.getByName(targetIp).getAddress());
        byte[] out = new byte[42];
        b.readBytes(out);
        b.release();
        return out;
    }

    /** A random /30 in 10.{second}.0.0/16: the TAP's address and the peer's beside it. */
    private record Slash30(String local, String peer) {
        static Slash30 random(int second) {
            int subnet = ThreadLocalRandom.current().nextInt(1, 250);
            return new Slash30("10." + second + "." + subnet + ".1", "10." + second + "." + subnet + ".2");
        }
    }
}
