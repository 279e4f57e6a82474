package dev.overlay.datapath;

import static dev.overlay.datapath.SegmenterTesting.frame;
import static dev.overlay.datapath.SegmenterTesting.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Software TSO against tshark: every segment's IP and TCP checksums verify
 * ({@code ip.check_checksum}, {@code tcp.check_checksum}), lengths, IDs, sequence numbers and
 * flags are as a NIC's TSO would set them, and the payloads put back in sequence order are the
 * super-frame's.
 */
class TcpSegmenterTest {
    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;
    private static final int ACK = 0x10;
    private static final int PSH = 0x08;
    private static final int FIN = 0x01;
    private static final int CWR = 0x80;

    @TempDir
    Path dir;

    @Test
    void ipv4SuperFrameWithTcpOptionsBecomesMssSegmentsThatTsharkVerifies() throws Exception {
        byte[] payload = random(10_000, 1);
        ByteBuf superFrame = frame(ipv4Tcp(payload, 0x1234, 0xFFFF_F000L, ACK | PSH | FIN | CWR, 12), payload);
        List<String[]> rows = segmentAndDissect(superFrame, -1, 1448, "ip.id", "ip.len");
        assertEquals(7, rows.size());
        for (int i = 0; i < rows.size(); i++) {
            String[] row = rows.get(i);
            int size = Math.min(1448, 10_000 - i * 1448);
            assertEquals("1", row[1], "ip checksum of segment " + i);
            assertEquals("1", row[2], "tcp checksum of segment " + i);
            assertEquals(Long.toString((0xFFFF_F000L + i * 1448L) & 0xFFFF_FFFFL), row[3], "seq wraps at 2^32");
            assertEquals(flags(i, 7, ACK | PSH | FIN | CWR), Integer.decode(row[4]), "flags of segment " + i);
            assertEquals(Integer.toString(0x1234 + i), Integer.decode(row[6]).toString());
            assertEquals(Integer.toString(20 + 32 + size), row[7]);
        }
        assertArrayEquals(payload, reassembled(rows));
    }

    @Test
    void taggedIpv6SuperFrameBecomesSegmentsWithTheirPayloadLength() throws Exception {
        byte[] payload = random(5_000, 2);
        byte[] headers = ipv6Tcp(payload, 77, ACK | PSH);
        ByteBuf superFrame = frame(headers, payload);
        List<String[]> rows = segmentAndDissect(superFrame, headers.length - 20, 1220, "ipv6.plen", "vlan.id");
        assertEquals(5, rows.size());
        for (int i = 0; i < rows.size(); i++) {
            String[] row = rows.get(i);
            assertEquals("1", row[2], "tcp checksum of segment " + i);
            assertEquals(Long.toString(77 + i * 1220L), row[3]);
            assertEquals(flags(i, 5, ACK | PSH), Integer.decode(row[4]));
            assertEquals(Integer.toString(20 + Math.min(1220, 5_000 - i * 1220)), row[6]);
            assertEquals("100", row[7]);
        }
        assertArrayEquals(payload, reassembled(rows));
    }

    @Test
    void partialUdpChecksumIsCompletedAsTheKernelLeftIt() throws Exception {
        byte[] payload = random(333, 3);
        byte[] headers = ipv4Tcp(payload, 1, 0, 0, 0);
        ByteBuf frame = frame(headers, payload);
        int b = frame.readerIndex();
        // Make it UDP with the pseudo-header's folded sum in the field, as CHECKSUM_PARTIAL does.
        frame.setByte(b + 14 + 9, 17);
        frame.setShort(b + 14 + 2, frame.readableBytes() - 14);
        frame.setShort(b + 14 + 10, 0);
        frame.setShort(b + 14 + 10, dev.overlay.vtep.InternetChecksum.checksum(frame, b + 14, 20));
        int udpLength = frame.readableBytes() - 34;
        frame.setShort(b + 34 + 4, udpLength);
        long pseudo = dev.overlay.vtep.InternetChecksum.partial(frame, b + 14 + 12, 8) + 17 + udpLength;
        frame.setShort(b + 34 + 6, dev.overlay.vtep.InternetChecksum.fold(pseudo));
        assertTrue(TcpSegmenter.completeChecksum(frame, 34, 6));
        List<String[]> rows = Tshark.fields(dir, List.of(frame), null, "udp.checksum.status", "udp.length");
        frame.release();
        assertEquals(1, rows.size());
        assertEquals("1", rows.get(0)[0]);
        assertEquals(Integer.toString(udpLength), rows.get(0)[1]);
    }

    @Test
    void framesThatAreNotTcpAreRefusedWithNothingHandedOut() {
        byte[] payload = random(3_000, 4);
        ByteBuf frame = frame(ipv4Tcp(payload, 1, 0, ACK, 0), payload);
        frame.setByte(frame.readerIndex() + 14 + 9, 17);
        List<ByteBuf> out = new ArrayList<>();
        assertEquals(-1, TcpSegmenter.segment(frame, -1, 1000, ALLOC, out::add));
        assertEquals(-1, TcpSegmenter.segment(frame.setByte(frame.readerIndex() + 14 + 9, 6), 40, 1000, ALLOC, out::add));
        assertEquals(-1, TcpSegmenter.segment(frame, -1, 0, ALLOC, out::add));
        assertEquals(0, out.size());
        assertTrue(TcpSegmenter.segment(frame, 34, 1000, ALLOC, out::add) == 3);
        out.forEach(seg -> {
            assertEquals(Buffers.HEADROOM, seg.readerIndex());
            assertTrue(seg.writableBytes() >= Buffers.TAILROOM);
            seg.release();
        });
        assertTrue(TcpSegmenter.completeChecksum(frame, 34, 16));
        assertEquals(false, TcpSegmenter.completeChecksum(frame, frame.readableBytes() - 1, 16));
        frame.release();
    }

    private static int flags(int i, int count, int flags) {
        int f = flags;
        if (i < count - 1) {
            f &= ~(FIN | PSH);
        }
        if (i > 0) {
            f &= ~CWR;
        }
        return f;
    }

    private List<String[]> segmentAndDissect(ByteBuf superFrame, int l4, int mss, String... extra) throws Exception {
        List<String> fields = new ArrayList<>(List.of("tcp.payload", "ip.checksum.status", "tcp.checksum.status",
                "tcp.seq_raw", "tcp.flags", "tcp.len"));
        fields.addAll(List.of(extra));
        return SegmenterTesting.segmentAndDissect(dir, TcpSegmenter::segment, superFrame, l4, mss, List.of(), fields);
    }

    private static byte[] reassembled(List<String[]> rows) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        rows.stream().sorted((a, b) -> Long.compare(Long.parseLong(a[3]) - Long.parseLong(rows.get(0)[3]) & 0xFFFF_FFFFL,
                Long.parseLong(b[3]) - Long.parseLong(rows.get(0)[3]) & 0xFFFF_FFFFL))
                .forEach(r -> out.writeBytes(HexFormat.of().parseHex(r[0].replace(":", ""))));
        return out.toByteArray();
    }

    /** Ethernet, IPv4 (total length of the whole super-frame, checksum stale), TCP with {@code options} bytes of NOP/timestamps. */
    private static byte[] ipv4Tcp(byte[] payload, int id, long seq, int flags, int options) {
        ByteBuffer b = ByteBuffer.allocate(14 + 20 + 20 + options);
        b.put(HexFormat.of().parseHex("02000000000202000000000108004500"));
        b.putShort((short) (20 + 20 + options + payload.length)).putShort((short) id).putShort((short) 0x4000);
        b.put((byte) 64).put((byte) 6).putShort((short) 0xBEEF);
        b.put(new byte[] {10, 0, 0, 1, 10, 0, 0, 2});
        tcp(b, seq, flags, options);
        return b.array();
    }

    /** Ethernet with an 802.1Q tag (VLAN 100), IPv6, TCP. */
    private static byte[] ipv6Tcp(byte[] payload, long seq, int flags) {
        ByteBuffer b = ByteBuffer.allocate(18 + 40 + 20);
        b.put(HexFormat.of().parseHex("020000000002020000000001810000648" + "6dd"));
        b.putInt(0x6000_0000).putShort((short) (20 + payload.length)).put((byte) 6).put((byte) 64);
        b.put(HexFormat.of().parseHex("fd000000000000000000000000000001fd000000000000000000000000000002"));
        tcp(b, seq, flags, 0);
        return b.array();
    }

    private static void tcp(ByteBuffer b, long seq, int flags, int options) {
        b.putShort((short) 40000).putShort((short) 5201).putInt((int) seq).putInt(1000);
        b.put((byte) ((20 + options) / 4 << 4)).put((byte) flags).putShort((short) 502).putShort((short) 0x1111)
                .putShort((short) 0);
        if (options == 12) {
            b.put(new byte[] {1, 1, 8, 10, 0, 0, 0, 5, 0, 0, 0, 6});
        }
    }
}
