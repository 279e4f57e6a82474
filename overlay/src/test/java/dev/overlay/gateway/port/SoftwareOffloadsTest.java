package dev.overlay.gateway.port;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.datapath.Buffers;
import dev.overlay.datapath.Tshark;
import dev.overlay.vtep.InternetChecksum;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the TAP and pcap readers share, fed frames as the kernel leaves them (partial checksums
 * holding the pseudo-header's sum, super-frames whose IP length covers everything) and checked
 * by tshark: the ECN bit of gso_type, UFO refused, and the fallback without a virtio header
 * (checksums found and completed, TCP super-frames cut at the MTU, UDP ones refused).
 */
class SoftwareOffloadsTest {
    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;
    private static final int ACK = 0x10;
    private static final int PSH = 0x08;
    private static final int CWR = 0x80;

    @TempDir
    Path dir;

    private final List<ByteBuf> delivered = new ArrayList<>();
    private final PortCounters counters = new PortCounters();
    private final SoftwareOffloads offloads = new SoftwareOffloads(new MutePort(), ALLOC, counters,
            (port, frame) -> delivered.add(frame), Logger.getLogger(SoftwareOffloadsTest.class.getName()));

    @AfterEach
    void release() {
        delivered.forEach(ByteBuf::release);
    }

    @Test
    void ecnSuperFrameKeepsCwrOnItsFirstSegmentOnly() throws Exception {
        byte[] payload = random(3_500, 1);
        ByteBuf in = frame(ipv4(6, 20 + payload.length, ACK | PSH | CWR), payload);
        partial(in, 34, 16);
        assertTrue(offloads.withHeader(in, VirtioNetHeader.F_NEEDS_CSUM,
                VirtioNetHeader.GSO_TCPV4 | VirtioNetHeader.GSO_ECN, 1_000, 34, 16));
        in.release();
        List<String[]> rows = Tshark.fields(dir, delivered, null, "tcp.checksum.status", "tcp.flags.cwr", "tcp.len",
                "tcp.flags.push", "ip.checksum.status");
        assertEquals(4, rows.size());
        for (int i = 0; i < 4; i++) {
            assertEquals("1", rows.get(i)[0]);
            assertEquals(i == 0 ? "1" : "0", rows.get(i)[1], "CWR of segment " + i);
            assertEquals(Integer.toString(Math.min(1_000, 3_500 - i * 1_000)), rows.get(i)[2]);
            assertEquals(i == 3 ? "1" : "0", rows.get(i)[3], "PSH of segment " + i);
            assertEquals("1", rows.get(i)[4]);
        }
        assertEquals(4, counters.rxFrames.sum());
        assertEquals(1, counters.rxGsoFrames.sum());
        assertEquals(4, counters.rxGsoSegments.sum());
    }

    @Test
    void aSuperFramesSegmentsReachTheSinkTogetherInOrderAtMostMaxSegmentsPerCall() {
        List<Integer> calls = new ArrayList<>();
        List<ByteBuf> got = new ArrayList<>();
        TenantPort.FrameSink sink = new TenantPort.FrameSink() {
            @Override
            public void receive(TenantPort port, ByteBuf frame) {
                calls.add(-1); // a lone frame
                got.add(frame);
            }

            @Override
            public void receiveSegments(TenantPort port, ByteBuf[] segments, int count) {
                calls.add(count);
                for (int i = 0; i < count; i++) {
                    got.add(segments[i]);
                }
            }
        };
        SoftwareOffloads batching = new SoftwareOffloads(new MutePort(), ALLOC, counters, sink,
                Logger.getLogger(SoftwareOffloadsTest.class.getName()));
        byte[] payload = random(100 * 500, 7);
        ByteBuf in = frame(ipv4(6, 20 + payload.length, ACK), payload);
        partial(in, 34, 16);
        ByteBuf lone = frame(ipv4(6, 20 + 300, ACK), random(300, 8));
        partial(lone, 34, 16);
        try {
            assertTrue(batching.withHeader(in, VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_TCPV4, 500, 34, 16));
            assertTrue(batching.withHeader(lone, VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_NONE, 0, 34, 16));
            assertEquals(List.of(TenantPort.FrameSink.MAX_SEGMENTS, 100 - TenantPort.FrameSink.MAX_SEGMENTS, -1), calls);
            for (int i = 0; i < 100; i++) {
                ByteBuf seg = got.get(i);
                assertEquals(77 + i * 500L, seg.getUnsignedInt(seg.readerIndex() + 34 + 4), "sequence of segment " + i);
                byte[] data = new byte[seg.readableBytes() - 54];
                seg.getBytes(seg.readerIndex() + 54, data);
                assertArrayEquals(java.util.Arrays.copyOfRange(payload, i * 500, i * 500 + 500), data, "payload of segment " + i);
            }
            assertEquals(101, counters.rxFrames.sum());
        } finally {
            in.release();
            lone.release();
            got.forEach(ByteBuf::release);
        }
    }

    @Test
    void udpFragmentationOffloadIsRefusedAndNothingDelivered() {
        byte[] payload = random(3_000, 2);
        ByteBuf in = frame(ipv4(17, 8 + payload.length, 0), payload);
        assertFalse(offloads.withHeader(in, VirtioNetHeader.F_NEEDS_CSUM, 3, 1_000, 34, 6));
        in.release();
        assertEquals(0, delivered.size());
        assertEquals(0, counters.rxFrames.sum());
    }

    @Test
    void withoutAHeaderPartialChecksumsAreFoundAndCompleted() throws Exception {
        byte[] payload = random(600, 3);
        ByteBuf udp = frame(ipv4(17, 8 + payload.length, 0), payload);
        partial(udp, 34, 6);
        ByteBuf tcp = frame(ipv4(6, 20 + payload.length, ACK), payload);
        partial(tcp, 34, 16);
        assertTrue(offloads.withoutHeader(udp, true, 1_500));
        assertTrue(offloads.withoutHeader(tcp, true, 1_500));
        udp.release();
        tcp.release();
        List<String[]> rows = Tshark.fields(dir, delivered, null, "udp.checksum.status", "tcp.checksum.status");
        assertEquals("1", rows.get(0)[0]);
        assertEquals("1", rows.get(1)[1]);
        assertEquals(0, counters.rxGsoFrames.sum());
    }

    @Test
    void withoutAHeaderTcpSuperFramesAreCutAtTheMtuAndUdpOnesRefused() throws Exception {
        byte[] payload = random(5_000, 4);
        ByteBuf tcp = frame(ipv4(6, 20 + payload.length, ACK | PSH), payload);
        partial(tcp, 34, 16);
        assertTrue(offloads.withoutHeader(tcp, true, 1_500));
        tcp.release();
        List<String[]> rows = Tshark.fields(dir, delivered, null, "tcp.checksum.status", "ip.len", "tcp.payload");
        assertEquals(List.of("1500", "1500", "1500", "660"), rows.stream().map(r -> r[1]).toList());
        assertTrue(rows.stream().allMatch(r -> r[0].equals("1")));
        assertEquals(HexFormat.of().formatHex(payload),
                String.join("", rows.stream().map(r -> r[2].replace(":", "")).toList()));
        ByteBuf udp = frame(ipv4(17, 8 + payload.length, 0), payload);
        assertFalse(offloads.withoutHeader(udp, true, 1_500), "a UDP super-frame's datagrams are not in it");
        udp.release();
        ByteBuf other = frame(HexFormat.of().parseHex("0200000000020200000000010806"), new byte[46]);
        assertFalse(offloads.withoutHeader(other, true, 1_500), "a partial checksum with no IP to find it in");
        assertTrue(offloads.withoutHeader(other, false, 1_500), "ARP as it is");
        other.release();
        assertEquals(5, delivered.size());
    }

    /** Ethernet, IPv4 with a valid header checksum and {@code l4Length} after it, and TCP or UDP. */
    private static byte[] ipv4(int protocol, int l4Length, int tcpFlags) {
        ByteBuffer b = ByteBuffer.allocate(14 + 20 + (protocol == 6 ? 20 : 8));
        b.put(HexFormat.of().parseHex("0200000000020200000000010800"));
        b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + l4Length)).putShort((short) 9).putShort((short) 0x4000)
                .put((byte) 64).put((byte) protocol).putShort((short) 0).put(new byte[] {10, 0, 0, 1, 10, 0, 0, 2});
        if (protocol == 6) {
            b.putShort((short) 40_000).putShort((short) 5201).putInt(77).putInt(1).put((byte) 0x50).put((byte) tcpFlags)
                    .putShort((short) 502).putInt(0);
        } else {
            b.putShort((short) 4433).putShort((short) 443).putShort((short) l4Length).putShort((short) 0);
        }
        return b.array();
    }

    /** The IPv4 header checksum, and the pseudo-header's folded sum in the L4 field, as CHECKSUM_PARTIAL leaves it. */
    private static void partial(ByteBuf f, int l4, int field) {
        int b = f.readerIndex();
        f.setShort(b + 24, InternetChecksum.checksum(f, b + 14, 20));
        long pseudo = InternetChecksum.partial(f, b + 26, 8) + f.getUnsignedByte(b + 23) + f.readableBytes() - l4;
        f.setShort(b + l4 + field, InternetChecksum.fold(pseudo));
    }

    private static ByteBuf frame(byte[] headers, byte[] payload) {
        ByteBuf buf = ALLOC.directBuffer(Buffers.HEADROOM + headers.length + payload.length);
        buf.setIndex(Buffers.HEADROOM, Buffers.HEADROOM).writeBytes(headers).writeBytes(payload);
        if (headers.length >= 34 && buf.getUnsignedShort(Buffers.HEADROOM + 12) == 0x0800) {
            buf.setShort(Buffers.HEADROOM + 24, InternetChecksum.checksum(buf, Buffers.HEADROOM + 14, 20));
        }
        return buf;
    }

    private static byte[] random(int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /** The port a sink is told a frame came from; nothing else is asked of it here. */
    private static final class MutePort implements TenantPort {
        @Override
        public String name() {
            return "test";
        }

        @Override
        public void start(FrameSink sink) {
        }

        @Override
        public boolean send(ByteBuf frame) {
            frame.release();
            return false;
        }

        @Override
        public PortCounters counters() {
            return new PortCounters();
        }

        @Override
        public void close() {
        }
    }
}
