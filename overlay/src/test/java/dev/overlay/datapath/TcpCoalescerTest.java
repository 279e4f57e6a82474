package dev.overlay.datapath;

import static dev.overlay.datapath.SegmenterTesting.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Software GRO: super-frames cut by {@link TcpSegmenter} come back whole from the coalescer, and
 * tshark (the oracle) finds the IPv4 header checksum valid and, once the partial TCP checksum is
 * completed as the kernel completes NEEDS_CSUM, the TCP checksum too, with the whole train's IP
 * length, first sequence number, last flags and the original payload. Segments that must not
 * join (a gap, a damaged checksum, another flow's pure ACK) leave in order.
 */
class TcpCoalescerTest {
    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;
    private static final int ACK = 0x10;
    private static final int PSH = 0x08;

    @TempDir
    Path dir;

    /** What the coalescer handed on: lone frames as they are, trains joined into one frame. */
    private final List<ByteBuf> out = new ArrayList<>();
    private final List<Integer> segmentsOf = new ArrayList<>();
    private final List<Integer> gsoSizes = new ArrayList<>();
    private final TcpCoalescer coalescer = new TcpCoalescer(new TcpCoalescer.Output() {
        @Override
        public void frame(ByteBuf frame) {
            out.add(frame);
            segmentsOf.add(1);
            gsoSizes.add(0);
        }

        @Override
        public void train(ByteBuf[] parts, int count, boolean v6, int headerLength, int gsoSize, int l4) {
            ByteBuf joined = ALLOC.directBuffer(70_000);
            for (int i = 0; i < count; i++) {
                joined.writeBytes(parts[i]);
                parts[i].release();
            }
            assertTrue(TcpSegmenter.completeChecksum(joined, l4, 16));
            out.add(joined);
            segmentsOf.add(count);
            gsoSizes.add(gsoSize);
        }
    });

    @AfterEach
    void release() {
        out.forEach(ByteBuf::release);
    }

    @Test
    void ipv4SegmentsComeBackAsOneSuperFrameThatTsharkVerifies() throws Exception {
        byte[] payload = random(60_000, 1);
        offerSegments(ipv4Tcp(payload, 40000, 0xFFFF_0000L, ACK | PSH), payload, 1448);
        coalescer.flush();
        assertEquals(List.of(42), segmentsOf);
        assertEquals(List.of(1448), gsoSizes);
        String[] row = dissect().get(0);
        assertEquals("1", row[1], "ip checksum");
        assertEquals("1", row[2], "tcp checksum after the kernel's completion");
        assertEquals(Long.toString(0xFFFF_0000L), row[3]);
        assertEquals(ACK | PSH, Integer.decode(row[4]));
        assertEquals(Integer.toString(20 + 32 + 60_000), row[5]);
        assertArrayEquals(payload, HexFormat.of().parseHex(row[0].replace(":", "")));
    }

    @Test
    void ipv6SegmentsOfTwoInterleavedFlowsBecomeTwoTrains() throws Exception {
        byte[] a = random(8_000, 2);
        byte[] b = random(5_000, 3);
        List<ByteBuf> first = segments(ipv6Tcp(a, 40001, 7, ACK), a, 1000);
        List<ByteBuf> second = segments(ipv6Tcp(b, 40002, 9, ACK | PSH), b, 1000);
        for (int i = 0; i < 8; i++) {
            coalescer.offer(first.get(i));
            if (i < 5) {
                coalescer.offer(second.get(i));
            }
        }
        assertEquals(0, out.size(), "all held until the batch ends");
        coalescer.flush();
        assertEquals(List.of(8, 5), segmentsOf.stream().sorted((x, y) -> y - x).toList());
        for (String[] row : dissect()) {
            assertEquals("1", row[2], "tcp checksum after the kernel's completion");
            byte[] expected = row[3].equals("7") ? a : b;
            assertEquals(Integer.toString(expected.length), row[6], "tcp.len");
            assertArrayEquals(expected, HexFormat.of().parseHex(row[0].replace(":", "")));
        }
    }

    @Test
    void aGapADamagedSegmentAndAPureAckBreakTrainsWithoutReordering() throws Exception {
        byte[] payload = random(14_480, 4);
        List<ByteBuf> segs = segments(ipv4Tcp(payload, 40000, 1000, ACK), payload, 1448);
        segs.get(3).release(); // lost: a gap after segment 2
        ByteBuf damaged = segs.get(6);
        damaged.setByte(damaged.writerIndex() - 1, damaged.getByte(damaged.writerIndex() - 1) ^ 1);
        byte[] ackHeaders = ipv4Tcp(new byte[0], 40000, 1000 + 14_480, ACK);
        ByteBuf pureAck = segments(ackHeaders, new byte[0], 1448).get(0); // checksums filled in
        for (int i = 0; i < 10; i++) {
            if (i != 3) {
                coalescer.offer(segs.get(i));
            }
            if (i == 8) {
                coalescer.offer(pureAck);
            }
        }
        coalescer.flush();
        // [0..2] train, [4,5] train, 6 damaged alone, [7,8] train, the ACK, 9 alone.
        assertEquals(List.of(3, 2, 1, 2, 1, 1), segmentsOf);
        List<String[]> rows = dissect();
        long[] seqs = {1000, 1000 + 4 * 1448, 1000 + 6 * 1448, 1000 + 7 * 1448, 1000 + 14_480, 1000 + 9 * 1448};
        for (int i = 0; i < rows.size(); i++) {
            assertEquals(Long.toString(seqs[i]), rows.get(i)[3], "order of what left");
            assertEquals(i == 2 ? "0" : "1", rows.get(i)[2], "only the damaged segment fails tcp checksum");
        }
    }

    /**
     * Each header field the kernel's tcp_gro_receive requires to be equal, changed in the middle
     * segment of three (checksums valid): none of the three joins another. The same three with
     * nothing changed make one train.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "unchanged, v4, -1",
        "destination MAC, v4, 0",
        "source MAC, v4, 11",
        "IPv4 TOS, v4, 15",
        "IPv4 DF flag, v4, 20",
        "IPv4 TTL, v4, 22",
        "TCP acknowledgment, v4, 45",
        "TCP window, v4, 49",
        "TCP timestamp option, v4, 61",
        "IPv6 traffic class, v6, 15",
        "IPv6 flow label, v6, 17",
        "IPv6 hop limit, v6, 21",
    })
    void aSegmentWhoseHeadersDifferInAFieldThatMustMatchJoinsNoTrain(String field, String family, int offset) {
        int mss = 1000;
        byte[] payload = random(3 * mss, 5);
        for (int i = 0; i < 3; i++) {
            byte[] chunk = java.util.Arrays.copyOfRange(payload, i * mss, (i + 1) * mss);
            long seq = 5000 + (long) i * mss;
            byte[] headers = family.equals("v6") ? ipv6Tcp(chunk, 40003, seq, ACK) : ipv4Tcp(chunk, 40003, seq, ACK);
            if (i == 1 && offset >= 0) {
                headers[offset] ^= 0x40;
            }
            segments(headers, chunk, mss).forEach(coalescer::offer); // one frame, checksums filled in
        }
        coalescer.flush();
        assertEquals(offset < 0 ? List.of(3) : List.of(1, 1, 1), segmentsOf, field);
    }

    @Test
    void framesThatAreNotTcpDataPassAtOnce() {
        ByteBuf arp = ALLOC.directBuffer(60);
        arp.writeBytes(HexFormat.of().parseHex("ffffffffffff0200000000010806")).writeZero(46);
        coalescer.offer(arp);
        assertEquals(1, out.size());
        assertEquals(0, coalescer.held());
    }

    private void offerSegments(byte[] headers, byte[] payload, int mss) {
        segments(headers, payload, mss).forEach(coalescer::offer);
    }

    private static List<ByteBuf> segments(byte[] headers, byte[] payload, int mss) {
        List<ByteBuf> segs = new ArrayList<>();
        ByteBuf superFrame = frame(headers, payload);
        TcpSegmenter.segment(superFrame, -1, mss, ALLOC, segs::add);
        superFrame.release();
        return segs;
    }

    private List<String[]> dissect() throws Exception {
        List<String[]> rows = Tshark.fields(dir, out, null, "tcp.payload", "ip.checksum.status", "tcp.checksum.status",
                "tcp.seq_raw", "tcp.flags", "ip.len", "tcp.len");
        assertEquals(out.size(), rows.size());
        return rows;
    }

    private static ByteBuf frame(byte[] headers, byte[] payload) {
        ByteBuf buf = ALLOC.directBuffer(Buffers.HEADROOM + headers.length + payload.length + Buffers.TAILROOM);
        buf.setIndex(Buffers.HEADROOM, Buffers.HEADROOM).writeBytes(headers).writeBytes(payload);
        return buf;
    }

    /** Ethernet, IPv4 (DF, checksum left for the segmenter), TCP with NOP NOP timestamps. */
    private static byte[] ipv4Tcp(byte[] payload, int port, long seq, int flags) {
        ByteBuffer b = ByteBuffer.allocate(14 + 20 + 32);
        b.put(HexFormat.of().parseHex("02000000000202000000000108004500"));
        b.putShort((short) (20 + 32 + payload.length)).putShort((short) 0x1234).putShort((short) 0x4000);
        b.put((byte) 64).put((byte) 6).putShort((short) 0);
        b.put(new byte[] {10, 0, 0, 1, 10, 0, 0, 2});
        tcp(b, port, seq, flags, true);
        return b.array();
    }

    private static byte[] ipv6Tcp(byte[] payload, int port, long seq, int flags) {
        ByteBuffer b = ByteBuffer.allocate(14 + 40 + 20);
        b.put(HexFormat.of().parseHex("02000000000202000000000186dd"));
        b.putInt(0x6000_0000).putShort((short) (20 + payload.length)).put((byte) 6).put((byte) 64);
        b.put(HexFormat.of().parseHex("fd000000000000000000000000000001fd000000000000000000000000000002"));
        tcp(b, port, seq, flags, false);
        return b.array();
    }

    private static void tcp(ByteBuffer b, int port, long seq, int flags, boolean timestamps) {
        b.putShort((short) port).putShort((short) 5201).putInt((int) seq).putInt(1000);
        b.put((byte) ((timestamps ? 32 : 20) / 4 << 4)).put((byte) flags).putShort((short) 502).putShort((short) 0)
                .putShort((short) 0);
        if (timestamps) {
            b.put(new byte[] {1, 1, 8, 10, 0, 0, 0, 5, 0, 0, 0, 6});
        }
    }
}
