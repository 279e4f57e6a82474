package dev.overlay.datapath;

import static dev.overlay.datapath.SegmenterTesting.frame;
import static dev.overlay.datapath.SegmenterTesting.random;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Software USO against tshark: each datagram cut from a UDP super-frame has its own UDP length and
 * a checksum tshark verifies ({@code udp.check_checksum}), IPv4 datagrams their own total length,
 * incremented identification and verified header checksum, IPv6 ones their payload length; the
 * payloads in order are the super-frame's.
 */
class UdpSegmenterTest {
    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

    @TempDir
    Path dir;

    @Test
    void ipv4SuperFrameBecomesDatagramsOfGsoSizeThatTsharkVerifies() throws Exception {
        byte[] payload = random(4_500, 1);
        ByteBuf frame = frame(ipv4(payload.length), payload);
        List<String[]> rows = segmentAndDissect(frame, 34, 1_200, "ip.id", "ip.len", "ip.checksum.status");
        assertEquals(4, rows.size());
        for (int i = 0; i < 4; i++) {
            int size = Math.min(1_200, 4_500 - i * 1_200);
            assertEquals("1", rows.get(i)[0], "udp checksum of datagram " + i);
            assertEquals(Integer.toString(8 + size), rows.get(i)[1]);
            assertEquals(0x4242 + i, Integer.decode(rows.get(i)[3]));
            assertEquals(Integer.toString(20 + 8 + size), rows.get(i)[4]);
            assertEquals("1", rows.get(i)[5], "ip checksum of datagram " + i);
        }
        assertEquals(HexFormat.of().formatHex(payload), joined(rows));
    }

    @Test
    void ipv6SuperFrameFoundWithoutAnOffsetBecomesDatagramsWithTheirPayloadLength() throws Exception {
        byte[] payload = random(2_001, 2);
        ByteBuf frame = frame(ipv6(payload.length), payload);
        List<String[]> rows = segmentAndDissect(frame, -1, 1_000, "ipv6.plen");
        assertEquals(3, rows.size());
        assertEquals(List.of("1008", "1008", "9"), rows.stream().map(r -> r[1]).toList());
        assertEquals(List.of("1008", "1008", "9"), rows.stream().map(r -> r[3]).toList());
        assertTrue(rows.stream().allMatch(r -> r[0].equals("1")), "every udp checksum verifies");
        assertEquals(HexFormat.of().formatHex(payload), joined(rows));
    }

    @Test
    void framesThatAreNotUdpAreRefusedWithNothingHandedOut() {
        byte[] payload = random(3_000, 3);
        ByteBuf frame = frame(ipv4(payload.length), payload);
        List<ByteBuf> out = new ArrayList<>();
        assertEquals(-1, UdpSegmenter.segment(frame, 30, 1_000, ALLOC, out::add), "wrong csum_start");
        assertEquals(-1, UdpSegmenter.segment(frame, 34, 0, ALLOC, out::add), "no gso_size");
        frame.setByte(frame.readerIndex() + 14 + 9, 6);
        assertEquals(-1, UdpSegmenter.segment(frame, -1, 1_000, ALLOC, out::add), "TCP");
        ByteBuf v6 = frame(ipv6(payload.length), payload);
        v6.setByte(v6.readerIndex() + 14 + 6, 47);
        assertEquals(-1, UdpSegmenter.segment(v6, 54, 1_000, ALLOC, out::add),
                "GRE before the csum_start: a tunnel whose outer lengths would go stale");
        assertEquals(0, out.size());
        frame.release();
        v6.release();
    }

    private List<String[]> segmentAndDissect(ByteBuf superFrame, int l4, int gsoSize, String... extra) throws Exception {
        List<String> fields = new ArrayList<>(List.of("udp.checksum.status", "udp.length", "udp.payload"));
        fields.addAll(List.of(extra));
        return SegmenterTesting.segmentAndDissect(dir, UdpSegmenter::segment, superFrame, l4, gsoSize, List.of(), fields);
    }

    private static String joined(List<String[]> rows) {
        return String.join("", rows.stream().map(r -> r[2].replace(":", "")).toList());
    }

    /** Ethernet, IPv4 (id 0x4242, total length of the whole super-frame, checksum stale), UDP with a partial checksum. */
    private static byte[] ipv4(int payload) {
        ByteBuffer b = ByteBuffer.allocate(14 + 20 + 8);
        b.put(HexFormat.of().parseHex("02000000000202000000000108004500"));
        b.putShort((short) (28 + payload)).putShort((short) 0x4242).putShort((short) 0x4000);
        b.put((byte) 64).put((byte) 17).putShort((short) 0xBEEF);
        b.put(new byte[] {10, 0, 0, 1, 10, 0, 0, 2});
        b.putShort((short) 4433).putShort((short) 443).putShort((short) (8 + payload)).putShort((short) 0x1234);
        return b.array();
    }

    private static byte[] ipv6(int payload) {
        ByteBuffer b = ByteBuffer.allocate(14 + 40 + 8);
        b.put(HexFormat.of().parseHex("02000000000202000000000186dd"));
        b.putInt(0x6000_0000).putShort((short) (8 + payload)).put((byte) 17).put((byte) 64);
        b.put(HexFormat.of().parseHex("fd000000000000000000000000000001fd000000000000000000000000000002"));
        b.putShort((short) 4433).putShort((short) 443).putShort((short) (8 + payload)).putShort((short) 0);
        return b.array();
    }
}
