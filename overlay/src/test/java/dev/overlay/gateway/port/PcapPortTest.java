package dev.overlay.gateway.port;

import static dev.overlay.gateway.port.PortTesting.portThreads;
import static dev.overlay.gateway.port.PortTesting.requireRoot;
import static dev.overlay.gateway.port.PortTesting.run;
import static dev.overlay.gateway.port.PortTesting.sh;
import static dev.overlay.gateway.port.PortTesting.uniqueName;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.config.PortConfig;
import dev.overlay.datapath.Buffers;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * pcap ports on one end of a veth pair whose other end lives in a network namespace, where plain
 * AF_PACKET sockets of python3 send and receive: an oracle independent of the port's own socket.
 * What the port does with the kernel's offloads is PcapOffloadTest's.
 */
class PcapPortTest {
    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;
    /** Test frames use the IEEE local experimental EtherType, so the kernel's own chatter is ignored. */
    private static final int TEST_TYPE = 0x88b5;

    /** argv: mode (send HEX... | recv N) and interface; recv prints "ready", then N frames in hex. */
    private static final String PACKET_IO = """
            import socket, sys
            mode, ifname = sys.argv[1], sys.argv[2]
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x88b5))
            s.bind((ifname, 0x88b5))
            if mode == 'send':
                for h in sys.argv[3:]:
                    s.send(bytes.fromhex(h))
            else:
                s.settimeout(10)
                print('ready', flush=True)
                for _ in range(int(sys.argv[3])):
                    print(s.recv(65535).hex(), flush=True)
            """;

    /** argv: interface, count: that many 1,514-byte test frames. */
    private static final String FLOOD = """
            import socket, sys
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x88b5))
            s.bind((sys.argv[1], 0x88b5))
            frame = bytes.fromhex("020000000001020000000002" + "88b5") + bytes(1500)
            for _ in range(int(sys.argv[2])):
                s.send(frame)
            """;

    /**
     * A veth pair: {@code local} up here, {@code peer} up in namespace {@code ns} of its own, and
     * the pcap port {@link #open} opened on {@code local}. {@link #close()} closes the port,
     * releases what {@code frames} still holds and deletes the pair and the namespace.
     */
    private static final class Veth implements AutoCloseable {
        final String ns;
        final String local;
        final String peer;
        final PortTesting.Frames frames = new PortTesting.Frames();
        TenantPort port;

        Veth(String prefix) {
            ns = uniqueName(prefix);
            local = uniqueName(prefix);
            peer = local + "p";
            sh("ip", "netns", "add", ns);
            try {
                sh("ip", "link", "add", local, "type", "veth", "peer", "name", peer, "netns", ns);
                sh("ip", "link", "set", "dev", local, "up");
                sh("ip", "-n", ns, "link", "set", "dev", peer, "up");
            } catch (RuntimeException | Error e) {
                close();
                throw e;
            }
        }

        TenantPort open() throws PortException {
            port = Ports.open(new PortConfig.PcapPort(local), ALLOC);
            return port;
        }

        @Override
        public void close() {
            if (port != null) {
                port.close();
            }
            frames.releaseAll();
            run("ip", "link", "del", "dev", local);
            run("ip", "netns", "del", ns);
        }
    }

    @Test
    void framesCrossTheVethBothWaysAndOutgoingFramesAreNeverCaptured() throws Exception {
        requireRoot();
        String local;
        TenantPort port;
        try (Veth veth = new Veth("ovp")) {
            local = veth.local;
            port = veth.open();
            assertEquals("pcap:" + local, port.name());
            port.start(veth.frames);

            byte[] sent1 = UdpPortTest.frame(60, 1);
            byte[] sent2 = UdpPortTest.frame(1514, 2);
            byte[] otherSender = UdpPortTest.frame(80, 3);
            Process receiver = new ProcessBuilder("ip", "netns", "exec", veth.ns, "python3", "-c", PACKET_IO, "recv", veth.peer, "3")
                    .redirectErrorStream(true).start();
            List<String> received = new ArrayList<>();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(receiver.getInputStream(), StandardCharsets.UTF_8))) {
                assertEquals("ready", out.readLine());
                assertTrue(port.send(Buffers.frame(ALLOC, sent1, 0, sent1.length)));
                assertTrue(port.send(Buffers.frame(ALLOC, sent2, 0, sent2.length)));
                // Someone else transmitting out of the same interface: outgoing, so not for the tenant.
                sh("python3", "-c", PACKET_IO, "send", local, HexFormat.of().formatHex(otherSender));
                for (String line; received.size() < 3 && (line = out.readLine()) != null; ) {
                    received.add(line);
                }
            } finally {
                receiver.destroy();
                receiver.waitFor(5, TimeUnit.SECONDS);
            }
            assertEquals(Set.of(hex(sent1), hex(sent2), hex(otherSender)), Set.copyOf(received), received.toString());
            assertEquals(2, port.counters().txFrames.sum());
            assertEquals(60 + 1514, port.counters().txBytes.sum());

            byte[] fromPeer = UdpPortTest.frame(100, 4);
            sh("ip", "netns", "exec", veth.ns, "python3", "-c", PACKET_IO, "send", veth.peer, hex(fromPeer));
            ByteBuf first = veth.frames.next(PcapPortTest::isTestFrame);
            // Direction IN: neither the port's own frames nor the other sender's came back first.
            assertEquals(hex(fromPeer), hex(TapPortTest.bytes(first, 0, first.readableBytes())));
            assertEquals(Buffers.HEADROOM, first.readerIndex());
            assertTrue(first.writableBytes() >= Buffers.TAILROOM);
            first.release();
            Thread.sleep(200);
            assertTrue(veth.frames.queue.stream().noneMatch(PcapPortTest::isTestFrame), "an outgoing frame was captured");
            port.close(); // and once more as the veth closes: closing twice is harmless
        }
        assertEquals(List.of(), portThreads("pcap:" + local));
        ByteBuf late = Buffers.frame(ALLOC, new byte[60], 0, 60);
        assertFalse(port.send(late));
        assertEquals(0, late.refCnt());
        assertEquals(1, port.counters().txDropped.sum());
    }

    @Test
    void framesTheKernelDropsWhileTheReaderIsStuckAreCounted() throws Exception {
        requireRoot();
        java.util.concurrent.CountDownLatch stuck = new java.util.concurrent.CountDownLatch(1);
        try (Veth veth = new Veth("ovk")) {
            try {
                TenantPort port = veth.open();
                port.start((p, frame) -> {
                    try {
                        stuck.await(); // a sink that cannot keep up: the socket's 4 MB fill, then the kernel drops
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    veth.frames.receive(p, frame);
                });
                int sent = 8_000; // 8,000 frames of 1,514 bytes: about 12 MB, three times the receive buffer
                sh("ip", "netns", "exec", veth.ns, "python3", "-c", FLOOD, veth.peer, Integer.toString(sent));
                stuck.countDown();
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (System.nanoTime() < deadline && port.counters().rxFrames.sum() + port.counters().rxKernelDrops.sum() < sent) {
                    Thread.sleep(100);
                }
                long drops = port.counters().rxKernelDrops.sum();
                assertTrue(drops > 0, "the kernel dropped some");
                assertTrue(port.counters().rxFrames.sum() + drops >= sent,
                        port.counters().rxFrames.sum() + " read + " + drops + " dropped < " + sent + " sent");
            } finally {
                stuck.countDown(); // before the port closes: its reader may wait in the sink
            }
        }
    }

    @Test
    void readingResumesOnceAnInterfaceThatWentDownIsUpAgain() throws Exception {
        requireRoot();
        try (Veth veth = new Veth("ovu")) {
            String local = veth.local;
            veth.open().start(veth.frames);
            sh("ip", "link", "set", "dev", local, "down");
            Thread.sleep(200); // the reader sees ENETDOWN, says so once, and keeps reading
            sh("ip", "link", "set", "dev", local, "up");
            byte[] after = UdpPortTest.frame(100, 5);
            long deadline = System.nanoTime() + 10_000_000_000L;
            ByteBuf got = null;
            while (got == null && System.nanoTime() < deadline) {
                // The veth's carrier comes back a moment after "up": send until one arrives.
                run("ip", "netns", "exec", veth.ns, "python3", "-c", PACKET_IO, "send", veth.peer, hex(after));
                got = veth.frames.queue.poll(200, TimeUnit.MILLISECONDS);
                while (got != null && !isTestFrame(got)) {
                    got.release();
                    got = veth.frames.queue.poll(200, TimeUnit.MILLISECONDS);
                }
            }
            assertTrue(got != null, "no frame read after the interface came back up");
            assertEquals(hex(after), hex(TapPortTest.bytes(got, 0, got.readableBytes())));
            got.release();
            assertEquals(List.of("port-pcap:" + local), portThreads("pcap:" + local), "the reader is still there");
        }
    }

    @Test
    void interfaceWithoutAnyAddressOpens() throws Exception {
        requireRoot();
        String local = uniqueName("ovq");
        sh("ip", "link", "add", local, "type", "veth", "peer", "name", local + "p");
        try {
            // No IPv4 and IPv6 off: no address at all, which java.net.NetworkInterface cannot see.
            sh("sysctl", "-qw", "net.ipv6.conf." + local + ".disable_ipv6=1");
            sh("ip", "link", "set", local, "up");
            try (TenantPort port = Ports.open(new PortConfig.PcapPort(local), ALLOC)) {
                assertEquals("pcap:" + local, port.name());
            }
        } finally {
            run("ip", "link", "del", "dev", local);
        }
    }

    @Test
    void missingInterfaceIsOneSentence() {
        PortException e = assertThrows(PortException.class, () -> Ports.open(new PortConfig.PcapPort("ovnosuch0"), ALLOC));
        assertEquals("pcap ovnosuch0: no such interface", e.getMessage());
        assertNull(e.getCause());
    }

    @Test
    void interfaceThatIsDownIsOneSentence() throws Exception {
        requireRoot();
        String local = uniqueName("ovd");
        sh("ip", "link", "add", local, "type", "veth", "peer", "name", local + "p");
        try {
            PortException e = assertThrows(PortException.class, () -> Ports.open(new PortConfig.PcapPort(local), ALLOC));
            assertEquals("pcap " + local + ": the interface is down (ip link set dev IF up)", e.getMessage());
        } finally {
            run("ip", "link", "del", "dev", local);
        }
    }

    private static boolean isTestFrame(ByteBuf frame) {
        return frame.readableBytes() >= 14 && frame.getUnsignedShort(frame.readerIndex() + 12) == TEST_TYPE;
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
