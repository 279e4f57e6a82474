package dev.overlay.datapath;

import static dev.overlay.datapath.SegmenterTesting.frame;
import static dev.overlay.datapath.SegmenterTesting.random;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.overlay.vtep.InternetChecksum;
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
 * Software segmentation of TCP inside a UDP tunnel against tshark, which decodes VXLAN on 4789
 * and checks every checksum it can: outer IPv4 header, outer UDP (when set), inner IPv4 header,
 * inner TCP; lengths at both levels are the segment's, and the inner payloads in sequence order
 * are the super-frame's. Both shapes a kernel hands over: IPv4 outside without a UDP checksum
 * around IPv6 with TCP, and IPv6 outside with one around IPv4 with TCP options.
 */
class TunnelSegmenterTest {
    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

    @TempDir
    Path dir;

    @Test
    void ipv6TcpInsideVxlanOverIpv4WithoutUdpChecksumBecomesSegmentsThatTsharkVerifies() throws Exception {
        byte[] payload = random(4_000, 1);
        byte[] inner = innerIpv6(payload.length);
        byte[] frame = outerIpv4(inner, payload, false);
        List<String[]> rows = segmentAndDissect(frame, 14 + 20 + 8 + 8 + inner.length - 20, 1_300);
        assertEquals(4, rows.size());
        for (int i = 0; i < 4; i++) {
            int size = Math.min(1_300, 4_000 - i * 1_300);
            String[] r = rows.get(i);
            assertEquals("1", r[0], "outer ip checksum");
            assertEquals("3", r[1], "tshark: no outer udp checksum present (0 stays 0)");
            assertEquals("1", r[2], "inner tcp checksum of segment " + i);
            assertEquals(Integer.toString(size), r[4]);
            assertEquals(Integer.toString(20 + 8 + 8 + 14 + 40 + 20 + size), r[5], "outer ip.len");
            assertEquals(Integer.toString(8 + 8 + 14 + 40 + 20 + size), r[6], "outer udp.length");
            assertEquals(Integer.toString(20 + size), r[7], "inner ipv6.plen");
        }
        assertEquals(HexFormat.of().formatHex(payload), joined(rows));
    }

    @Test
    void ipv4TcpWithOptionsInsideVxlanOverIpv6WithUdpChecksumBecomesSegmentsThatTsharkVerifies() throws Exception {
        byte[] payload = random(3_000, 2);
        byte[] inner = innerIpv4(payload.length);
        byte[] frame = outerIpv6(inner, payload);
        List<String[]> rows = segmentAndDissect(frame, 14 + 40 + 8 + 8 + 14 + 20, 1_000);
        assertEquals(3, rows.size());
        for (int i = 0; i < 3; i++) {
            String[] r = rows.get(i);
            assertEquals("1", r[1], "outer udp checksum of segment " + i);
            assertEquals("1", r[2], "inner tcp checksum of segment " + i);
            assertEquals("1", r[0], "inner ip checksum of segment " + i);
            assertEquals(Integer.toString(0x0777 + i), Integer.decode(r[8]).toString(), "inner ip.id");
        }
        assertEquals(HexFormat.of().formatHex(payload), joined(rows));
    }

    @Test
    void framesThatAreNoTunnelledTcpAreRefused() {
        byte[] payload = random(3_000, 3);
        byte[] inner = innerIpv4(payload.length);
        ByteBuf frame = frame(outerIpv6(inner, payload));
        List<ByteBuf> out = new ArrayList<>();
        assertEquals(-1, TunnelSegmenter.segment(frame, 14 + 40 + 8 + 8 + 14 + 16, 1_000, ALLOC, out::add), "csum_start off");
        assertEquals(-1, TcpSegmenter.segment(frame, 14 + 40 + 8 + 8 + 14 + 20, 1_000, ALLOC, out::add),
                "plain TCP segmentation leaves a tunnel alone");
        frame.setByte(frame.readerIndex() + 14 + 6, 6);
        assertEquals(-1, TunnelSegmenter.segment(frame, 14 + 40 + 8 + 8 + 14 + 20, 1_000, ALLOC, out::add), "no outer UDP");
        assertEquals(0, out.size());
        frame.release();
    }

    private List<String[]> segmentAndDissect(byte[] superFrame, int l4, int mss) throws Exception {
        // ip fields: the last occurrence is the inner header where there is one, the outer otherwise.
        return SegmenterTesting.segmentAndDissect(dir, TunnelSegmenter::segment, frame(superFrame), l4, mss,
                List.of("-E", "occurrence=l"), List.of("ip.checksum.status", "udp.checksum.status", "tcp.checksum.status",
                        "tcp.payload", "tcp.len", "ip.len", "udp.length", "ipv6.plen", "ip.id"));
    }

    private static String joined(List<String[]> rows) {
        return String.join("", rows.stream().map(r -> r[3].replace(":", "")).toList());
    }

    /** Ethernet, IPv4 (length of the whole super-frame), UDP to 4789 with a zero checksum, VXLAN VNI 5, then {@code inner}. */
    private static byte[] outerIpv4(byte[] inner, byte[] payload, boolean udpChecksum) {
        int udpLength = 8 + 8 + inner.length + payload.length;
        ByteBuffer b = ByteBuffer.allocate(14 + 20 + udpLength);
        b.put(HexFormat.of().parseHex("0200000000020200000000010800"));
        b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + udpLength)).putShort((short) 0x1111).putShort((short) 0)
                .put((byte) 64).put((byte) 17).putShort((short) 0).put(new byte[] {10, 1, 0, 1, 10, 1, 0, 2});
        b.putShort(24, (short) InternetChecksum.checksum(io.netty.buffer.Unpooled.wrappedBuffer(b.array()), 14, 20));
        b.putShort((short) 49_999).putShort((short) 4789).putShort((short) udpLength).putShort((short) (udpChecksum ? 1 : 0));
        b.put(HexFormat.of().parseHex("0800000000000500")).put(inner).put(payload);
        return b.array();
    }

    /** Ethernet, IPv6, UDP to 4789 with a (stale, nonzero) checksum, VXLAN VNI 5, then {@code inner}. */
    private static byte[] outerIpv6(byte[] inner, byte[] payload) {
        int udpLength = 8 + 8 + inner.length + payload.length;
        ByteBuffer b = ByteBuffer.allocate(14 + 40 + udpLength);
        b.put(HexFormat.of().parseHex("02000000000202000000000186dd"));
        b.putInt(0x6000_0000).putShort((short) udpLength).put((byte) 17).put((byte) 64);
        b.put(HexFormat.of().parseHex("fd000000000000000000000000000001fd000000000000000000000000000002"));
        b.putShort((short) 49_999).putShort((short) 4789).putShort((short) udpLength).putShort((short) 0xBEEF);
        b.put(HexFormat.of().parseHex("0800000000000500")).put(inner).put(payload);
        return b.array();
    }

    /** Inner Ethernet, IPv6, TCP (no options), as a stack's GSO leaves them (lengths of the whole). */
    private static byte[] innerIpv6(int payload) {
        ByteBuffer b = ByteBuffer.allocate(14 + 40 + 20);
        b.put(HexFormat.of().parseHex("0a00000000020a000000000186dd"));
        b.putInt(0x6000_0000).putShort((short) (20 + payload)).put((byte) 6).put((byte) 64);
        b.put(HexFormat.of().parseHex("fd010000000000000000000000000001fd010000000000000000000000000002"));
        b.putShort((short) 40_000).putShort((short) 5201).putInt(100).putInt(1).put((byte) 0x50).put((byte) 0x18)
                .putShort((short) 502).putInt(0);
        return b.array();
    }

    /** Inner Ethernet, IPv4 (id 0x0777), TCP with 12 bytes of timestamps. */
    private static byte[] innerIpv4(int payload) {
        ByteBuffer b = ByteBuffer.allocate(14 + 20 + 32);
        b.put(HexFormat.of().parseHex("0a00000000020a00000000010800"));
        b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + 32 + payload)).putShort((short) 0x0777)
                .putShort((short) 0x4000).put((byte) 64).put((byte) 6).putShort((short) 0)
                .put(new byte[] {10, 9, 0, 1, 10, 9, 0, 2});
        b.putShort((short) 40_000).putShort((short) 5201).putInt(100).putInt(1).put((byte) 0x80).put((byte) 0x18)
                .putShort((short) 502).putInt(0);
        b.put(new byte[] {1, 1, 8, 10, 0, 0, 0, 5, 0, 0, 0, 6});
        return b.array();
    }
}
