package dev.overlay.datapath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/** What the segmenter tests share: super-frames as a port reads them, cut by a segmenter, read back by tshark. */
final class SegmenterTesting {
    static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

    private SegmenterTesting() {
    }

    /** {@link TcpSegmenter#segment}, {@link UdpSegmenter#segment} or {@link TunnelSegmenter#segment}. */
    interface Segmenter {
        int segment(ByteBuf frame, int l4Offset, int size, ByteBufAllocator alloc, Consumer<ByteBuf> out);
    }

    /**
     * Cuts {@code superFrame} (released here) with {@code segmenter} into pieces of {@code size}
     * and returns tshark's {@code fields} of each piece, one row a piece, with more tshark
     * {@code options} (see {@link Tshark#fieldsWith}). Asserts that the count the segmenter
     * returned is what it handed out, that every piece starts at {@link Buffers#HEADROOM} with
     * {@link Buffers#TAILROOM} behind it, and that tshark read every piece.
     */
    static List<String[]> segmentAndDissect(Path dir, Segmenter segmenter, ByteBuf superFrame, int l4, int size,
                                            List<String> options, List<String> fields) throws Exception {
        List<ByteBuf> pieces = new ArrayList<>();
        int count = segmenter.segment(superFrame, l4, size, ALLOC, pieces::add);
        superFrame.release();
        try {
            assertEquals(pieces.size(), count);
            for (ByteBuf piece : pieces) {
                assertEquals(Buffers.HEADROOM, piece.readerIndex());
                assertTrue(piece.writableBytes() >= Buffers.TAILROOM);
            }
            List<String[]> rows = Tshark.fieldsWith(dir, pieces, options, null, fields.toArray(String[]::new));
            assertEquals(count, rows.size());
            return rows;
        } finally {
            pieces.forEach(ByteBuf::release);
        }
    }

    /** {@code parts} one after the other in a direct buffer from {@link Buffers#HEADROOM} on, as a port reads a frame. */
    static ByteBuf frame(byte[]... parts) {
        int length = 0;
        for (byte[] p : parts) {
            length += p.length;
        }
        ByteBuf buf = ALLOC.directBuffer(Buffers.HEADROOM + length);
        buf.setIndex(Buffers.HEADROOM, Buffers.HEADROOM);
        for (byte[] p : parts) {
            buf.writeBytes(p);
        }
        return buf;
    }

    /** {@code length} bytes from a {@link Random} seeded with {@code seed}. */
    static byte[] random(int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
