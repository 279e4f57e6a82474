package dev.overlay.esp.transform;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * {@link JdkGcmAead}, the allocation-free AES-GCM on the JDK's internals, against Bouncy
 * Castle's GCM (an implementation nobody here wrote, and one that shares no code with the
 * JDK): the same ciphertext and tag for every key size, ICV, AAD length and payload length
 * around the block and 512-byte boundaries where the code changes path, opening back, and every
 * bit flip refused without plaintext written. GMAC against the JCA's GCM with everything as AAD.
 */
class JdkGcmAeadTest {

    @Test
    void theTestJvmRunsTheAllocationFreePath() {
        // surefire opens com.sun.crypto.provider as bin/overlay's jar does: were it not, every
        // GCM test here would silently test the fallback instead.
        assertNull(JdkGcmKernels.UNAVAILABLE_BECAUSE);
        assertInstanceOf(JdkGcmAead.class, Aeads.gcm(new byte[32], new byte[4], 16));
    }

    @Property(tries = 400)
    void sealsAsBouncyCastleDoesAndOpensBack(@ForAll long seed, @ForAll @IntRange(min = 0, max = 3000) int length,
                                             @ForAll boolean direct, @ForAll boolean aes256,
                                             @ForAll @IntRange(min = 0, max = 2) int icvChoice, @ForAll boolean esn) {
        Random random = new Random(seed);
        byte[] key = bytes(random, aes256 ? 32 : 16);
        byte[] salt = bytes(random, 4);
        int icv = new int[] {8, 12, 16}[icvChoice];
        byte[] aad = bytes(random, esn ? 12 : 8);
        byte[] plain = bytes(random, length);
        long iv = random.nextLong();
        try (JdkGcmAead ours = new JdkGcmAead(key, salt, icv); Aead bc = Aeads.bouncyCastleGcm(key, salt, icv)) {
            ByteBuf a = buffer(direct, plain, icv);
            ByteBuf b = buffer(false, plain, icv);
            try {
                ours.seal(iv, aad, aad.length, a, 3, length);
                bc.seal(iv, aad, aad.length, b, 3, length);
                assertEquals(ByteBufUtil.hexDump(b), ByteBufUtil.hexDump(a), "ciphertext || ICV");
                assertTrue(ours.open(iv, aad, aad.length, a, 3, length));
                assertArrayEquals(plain, ByteBufUtil.getBytes(a, 3, length));
            } finally {
                a.release();
                b.release();
            }
        }
    }

    @Property(tries = 200)
    void everyFlippedBitIsRefusedAndNoPlaintextIsWritten(@ForAll long seed, @ForAll @IntRange(min = 1, max = 1500) int length,
                                                         @ForAll boolean direct, @ForAll @IntRange(min = 0, max = 2) int icvChoice) {
        Random random = new Random(seed);
        int icv = new int[] {8, 12, 16}[icvChoice];
        byte[] aad = bytes(random, 8);
        try (JdkGcmAead gcm = new JdkGcmAead(bytes(random, 32), bytes(random, 4), icv)) {
            ByteBuf buf = buffer(direct, bytes(random, length), icv);
            try {
                gcm.seal(7, aad, aad.length, buf, 3, length);
                byte[] sealed = ByteBufUtil.getBytes(buf);
                int bit = random.nextInt((length + icv) * 8 + aad.length * 8);
                if (bit < aad.length * 8) {
                    aad[bit / 8] ^= (byte) (1 << (bit % 8));
                } else {
                    int at = 3 + (bit / 8 - aad.length);
                    buf.setByte(at, buf.getByte(at) ^ (1 << (bit % 8)));
                    sealed = ByteBufUtil.getBytes(buf);
                }
                assertFalse(gcm.open(7, aad, aad.length, buf, 3, length));
                assertArrayEquals(sealed, ByteBufUtil.getBytes(buf), "a refused packet is left as it came");
            } finally {
                buf.release();
            }
        }
    }

    @Property(tries = 200)
    void gmacTagsAsTheJcaDoes(@ForAll long seed, @ForAll @IntRange(min = 0, max = 1500) int length, @ForAll boolean direct) {
        Random random = new Random(seed);
        byte[] key = bytes(random, 32);
        byte[] salt = bytes(random, 4);
        byte[] aad = bytes(random, 8);
        byte[] data = bytes(random, length);
        try (JdkGcmAead ours = new JdkGcmAead(key, salt, 16); JdkAead jca = JdkAead.gcm(key, salt, 16)) {
            ByteBuf a = buffer(direct, data, 16);
            ByteBuf b = buffer(false, data, 16);
            try {
                ours.macSeal(99, aad, aad.length, a, 3, length);
                jca.macSeal(99, aad, aad.length, b, 3, length);
                assertEquals(ByteBufUtil.hexDump(b), ByteBufUtil.hexDump(a));
                assertTrue(ours.macOpen(99, aad, aad.length, a, 3, length));
                a.setByte(3 + length, a.getByte(3 + length) ^ 1);
                assertFalse(ours.macOpen(99, aad, aad.length, a, 3, length));
            } finally {
                a.release();
                b.release();
            }
        }
    }

    @Test
    void closeWipesTheExpandedKeyAndHashSubkey() throws Throwable {
        JdkGcmAead gcm = new JdkGcmAead(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, new byte[4], 16);
        java.lang.reflect.Field aesField = JdkGcmAead.class.getDeclaredField("aes");
        java.lang.reflect.Field ghashField = JdkGcmAead.class.getDeclaredField("ghash");
        aesField.setAccessible(true);
        ghashField.setAccessible(true);
        Object aes = aesField.get(gcm);
        Object ghash = ghashField.get(gcm);
        int[][] sessionKeys = (int[][]) JdkGcmKernels.AES_SESSION_KEYS.invokeExact(aes);
        assertTrue(Arrays.stream(sessionKeys).anyMatch(k -> Arrays.stream(k).anyMatch(x -> x != 0)));
        gcm.close();
        for (int[] k : sessionKeys) {
            assertTrue(Arrays.stream(k).allMatch(x -> x == 0), "expanded key zeroed");
        }
        byte[] lastKey = (byte[]) JdkGcmKernels.AES_LAST_KEY.invokeExact(aes);
        assertArrayEquals(new byte[16], lastKey);
        assertTrue(Arrays.stream((long[]) JdkGcmKernels.GHASH_SUBKEYS.invokeExact(ghash)).allMatch(x -> x == 0));
    }

    private static ByteBuf buffer(boolean direct, byte[] content, int icv) {
        ByteBuf buf = direct ? Unpooled.directBuffer(content.length + icv + 8) : Unpooled.buffer(content.length + icv + 8);
        buf.writeBytes(new byte[] {9, 9, 9}).writeBytes(content).writeZero(icv).writeBytes(new byte[] {9, 9});
        return buf;
    }

    private static byte[] bytes(Random random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}
