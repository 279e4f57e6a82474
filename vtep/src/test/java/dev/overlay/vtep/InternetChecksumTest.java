package dev.overlay.vtep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The checksum's raw-memory path (direct buffers, by address, native byte order) against the
 * plain RFC 1071 definition computed here word by word, and against the ByteBuf path of a heap
 * buffer, at every alignment and odd length.
 */
class InternetChecksumTest {

    @Property(tries = 500)
    void everyPathSumsAsRfc1071Says(@ForAll long seed, @ForAll @IntRange(min = 0, max = 3000) int length,
                                    @ForAll @IntRange(min = 0, max = 15) int offset) {
        byte[] data = new byte[offset + length];
        new Random(seed).nextBytes(data);
        long expected = 0;
        for (int i = offset; i < offset + length; i += 2) {
            expected += ((data[i] & 0xFF) << 8) | (i + 1 < offset + length ? data[i + 1] & 0xFF : 0);
        }
        int want = InternetChecksum.fold(expected);
        ByteBuf heap = Unpooled.wrappedBuffer(data);
        ByteBuf direct = PooledByteBufAllocator.DEFAULT.directBuffer(data.length).writeBytes(data);
        ByteBuf slice = direct.slice(offset, length);
        try {
            assertEquals(want, InternetChecksum.fold(InternetChecksum.partial(heap, offset, length)), "heap");
            assertEquals(want, InternetChecksum.fold(InternetChecksum.partial(direct, offset, length)), "direct");
            assertEquals(want, InternetChecksum.fold(InternetChecksum.partial(slice, 0, length)), "slice of direct");
        } finally {
            direct.release();
        }
    }

    @Test
    void aRangePastTheBufferIsRefusedNotRead() {
        ByteBuf direct = PooledByteBufAllocator.DEFAULT.directBuffer(128, 128);
        try {
            assertThrows(IndexOutOfBoundsException.class, () -> InternetChecksum.partial(direct, 100, 64));
        } finally {
            direct.release();
        }
    }
}
