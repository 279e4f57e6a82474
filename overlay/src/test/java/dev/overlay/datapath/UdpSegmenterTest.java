package dev.overlay.datapath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
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
        assertEquals(0, out.size());
        frame.release();
    }

    private List<String[]> segmentAndDissect(ByteBuf superFrame, int l4, int gsoSize, String... extra) throws Exception {
        List<ByteBuf> datagrams = new ArrayList<>();
        int count = UdpSegmenter.segment(superFrame, l4, gsoSize, ALLOC, datagrams::add);
        superFrame.release();
        assertEquals(datagrams.size(), count);
        Path pcap = dir.resolve("datagrams.pcap");
        ByteBuffer b = ByteBuffer.allocate(24 + datagrams.stream().mapToInt(f -> 16 + f.readableBytes()).sum())
                .order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0xA1B2C3D4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(262_144).putInt(1);
        for (ByteBuf d : datagrams) {
            assertEquals(Buffers.HEADROOM, d.readerIndex());
            assertTrue(d.writableBytes() >= Buffers.TAILROOM);
            byte[] bytes = new byte[d.readableBytes()];
            d.getBytes(d.readerIndex(), bytes);
            b.putInt(0).putInt(0).putInt(bytes.length).putInt(bytes.length).put(bytes);
            d.release();
        }
        Files.write(pcap, b.array());
        List<String> command = new ArrayList<>(List.of("tshark", "-n", "-r", pcap.toString(),
                "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-T", "fields", "-E", "separator=/t",
                "-E", "occurrence=f", "-e", "udp.checksum.status", "-e", "udp.length", "-e", "udp.payload"));
        for (String field : extra) {
            command.add("-e");
            command.add(field);
        }
        Process p = new ProcessBuilder(command).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor());
        List<String[]> rows = new ArrayList<>();
        text.lines().filter(l -> !l.isEmpty()).forEach(l -> rows.add(l.split("\t", -1)));
        assertEquals(count, rows.size(), text);
        return rows;
    }

    private static String joined(List<String[]> rows) {
        return String.join("", rows.stream().map(r -> r[2].replace(":", "")).toList());
    }

    private static ByteBuf frame(byte[] headers, byte[] payload) {
        ByteBuf buf = ALLOC.directBuffer(Buffers.HEADROOM + headers.length + payload.length);
        buf.setIndex(Buffers.HEADROOM, Buffers.HEADROOM).writeBytes(headers).writeBytes(payload);
        return buf;
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

    private static byte[] random(int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
