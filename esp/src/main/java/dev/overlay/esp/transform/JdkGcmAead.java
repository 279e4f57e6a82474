package dev.overlay.esp.transform;

import static dev.overlay.esp.transform.JdkGcmKernels.AES_ENCRYPT_BLOCK;
import static dev.overlay.esp.transform.JdkGcmKernels.AES_INIT;
import static dev.overlay.esp.transform.JdkGcmKernels.AES_LAST_KEY;
import static dev.overlay.esp.transform.JdkGcmKernels.AES_SESSION_KEYS;
import static dev.overlay.esp.transform.JdkGcmKernels.CTR_CRYPT;
import static dev.overlay.esp.transform.JdkGcmKernels.GCM_CRYPT;
import static dev.overlay.esp.transform.JdkGcmKernels.GCTR_RESET;
import static dev.overlay.esp.transform.JdkGcmKernels.GHASH_STATE;
import static dev.overlay.esp.transform.JdkGcmKernels.GHASH_SUBKEYS;
import static dev.overlay.esp.transform.JdkGcmKernels.GHASH_UPDATE;
import static dev.overlay.esp.transform.JdkGcmKernels.NEW_AES;
import static dev.overlay.esp.transform.JdkGcmKernels.NEW_GCTR;
import static dev.overlay.esp.transform.JdkGcmKernels.NEW_GHASH;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;

/**
 * AES-GCM (NIST SP 800-38D, RFC 4106 for ESP, RFC 4543 for GMAC) on the JDK's intrinsified
 * AES, GCTR and GHASH ({@link JdkGcmKernels}), built once per SA and reset per packet: no
 * object per packet, any ICV of 8, 12 or 16 bytes (the tag truncated to its leftmost bytes,
 * SP 800-38D 5.2.1.2), verified in constant time before any plaintext is written back.
 *
 * <p>Per packet (SP 800-38D 7.1 and 7.2, 96-bit IV): J0 = salt || IV || 0^31 || 1; the counter
 * starts at inc32(J0); S = GHASH(A padded || C padded || len(A) || len(C)); tag = E(K, J0) xor S.
 * Payloads at least 512 bytes long go through the combined AES+GHASH intrinsic, what it leaves
 * through the CTR and GHASH intrinsics separately, as the JDK's own Cipher does.
 *
 * <p>The intrinsics work on arrays: a heap buffer is encrypted where it lies; a direct buffer's
 * region is copied into an array kept by this object (grown once to the largest packet). Opening
 * decrypts into a second array, since the combined loop hashes the ciphertext it reads and so
 * cannot decrypt in place. Thread-confined.
 */
final class JdkGcmAead implements Aead, Gmac {
    private static final int BLOCK = 16;
    /** Below this the combined intrinsic does nothing (GaloisCounterMode.PARALLEL_LEN). */
    private static final int PARALLEL_LEN = 512;

    private final int tagLength;
    private final Object aes;
    private final Object gctr;
    private final Object ghash;
    /** GHASH's running state (two big-endian longs): zeroed to begin a message. */
    private final long[] hashState;
    /** J0 = salt || IV || 00000001: its encryption masks the tag. */
    private final byte[] j0 = new byte[BLOCK];
    /** inc32(J0) = salt || IV || 00000002: GCTR keeps this very array and re-reads it on reset. */
    private final byte[] firstCounter = new byte[BLOCK];
    /** A zero-padded block (AAD, the last partial block, the lengths), then the tag. */
    private final byte[] block = new byte[BLOCK];
    /** E(K, J0), then the received tag while opening. */
    private final byte[] mask = new byte[BLOCK];
    private byte[] in = new byte[2048];
    private byte[] out = new byte[2048];
    /** Where {@link #arrayOf}'s region starts in the array it returned. */
    private int at;

    JdkGcmAead(byte[] key, byte[] salt, int tagLength) {
        if (!JdkGcmKernels.AVAILABLE) {
            throw new IllegalStateException(JdkGcmKernels.UNAVAILABLE_BECAUSE);
        }
        if (salt.length != 4) {
            throw new IllegalArgumentException("salt: " + salt.length + " bytes (expected: 4)");
        }
        if (tagLength != 8 && tagLength != 12 && tagLength != 16) {
            throw new IllegalArgumentException("tagLength: " + tagLength + " (expected: 8, 12 or 16)");
        }
        if (key.length != 16 && key.length != 24 && key.length != 32) {
            throw new IllegalArgumentException("key: " + key.length + " bytes (expected: 16, 24 or 32)");
        }
        this.tagLength = tagLength;
        System.arraycopy(salt, 0, j0, 0, 4);
        System.arraycopy(salt, 0, firstCounter, 0, 4);
        j0[BLOCK - 1] = 1;
        firstCounter[BLOCK - 1] = 2;
        try {
            aes = (Object) NEW_AES.invokeExact();
            AES_INIT.invokeExact(aes, false, "AES", key);
            byte[] h = new byte[BLOCK];
            AES_ENCRYPT_BLOCK.invokeExact(aes, h, 0, h, 0);
            ghash = (Object) NEW_GHASH.invokeExact(h);
            Arrays.fill(h, (byte) 0);
            gctr = (Object) NEW_GCTR.invokeExact(aes, firstCounter);
            hashState = (long[]) GHASH_STATE.invokeExact(ghash);
        } catch (Throwable e) {
            throw new IllegalStateException("the JDK's AES-GCM could not be set up", e);
        }
    }

    @Override
    public int tagLength() {
        return tagLength;
    }

    @Override
    public void seal(long iv, byte[] aad, int aadLength, ByteBuf buf, int offset, int length) {
        begin(iv);
        hashPadded(aad, 0, aadLength);
        byte[] a = arrayOf(buf, offset, length);
        int o = at;
        try {
            // Encrypting in place is safe: each chunk is hashed after it is encrypted.
            int done = length >= PARALLEL_LEN ? (int) GCM_CRYPT.invokeExact(a, o, length, a, o, a, o, gctr, ghash) : 0;
            if (done < length) {
                int n = (int) CTR_CRYPT.invokeExact(gctr, a, o + done, length - done, a, o + done);
                hashPadded(a, o + done, length - done);
            }
        } catch (Throwable e) {
            throw new IllegalStateException("sealing failed", e);
        }
        finish(aadLength, length);
        if (a == in) {
            buf.setBytes(offset, a, 0, length);
        }
        buf.setBytes(offset + length, block, 0, tagLength);
    }

    @Override
    public boolean open(long iv, byte[] aad, int aadLength, ByteBuf buf, int offset, int length) {
        begin(iv);
        hashPadded(aad, 0, aadLength);
        byte[] a = arrayOf(buf, offset, length);
        int o = at;
        byte[] p = out = grow(out, length);
        try {
            // The combined loop reads ciphertext from ct (= in): it must not be the output.
            int done = length >= PARALLEL_LEN ? (int) GCM_CRYPT.invokeExact(a, o, length, a, o, p, 0, gctr, ghash) : 0;
            if (done < length) {
                hashPadded(a, o + done, length - done);
                int n = (int) CTR_CRYPT.invokeExact(gctr, a, o + done, length - done, p, done);
            }
        } catch (Throwable e) {
            throw new IllegalStateException("opening failed", e);
        }
        finish(aadLength, length);
        return verifyAndRelease(buf, offset, length, p);
    }

    /**
     * The region as an array the intrinsics can read: a heap buffer's own array (sealed where it
     * lies), else a copy in {@link #in}; its start in {@link #at}.
     */
    private byte[] arrayOf(ByteBuf buf, int offset, int length) {
        if (buf.hasArray()) {
            at = buf.arrayOffset() + offset;
            return buf.array();
        }
        in = grow(in, length);
        at = 0;
        buf.getBytes(offset, in, 0, length);
        return in;
    }

    @Override
    public void macSeal(long iv, byte[] aad, int aadLength, ByteBuf buf, int offset, int length) {
        mac(iv, aad, aadLength, buf, offset, length);
        buf.setBytes(offset + length, block, 0, tagLength);
    }

    @Override
    public boolean macOpen(long iv, byte[] aad, int aadLength, ByteBuf buf, int offset, int length) {
        mac(iv, aad, aadLength, buf, offset, length);
        return tagMatches(buf, offset + length);
    }

    /** GCM with A = aad || the region and nothing to encrypt: the whole of A hashed, padded once at its end. */
    private void mac(long iv, byte[] aad, int aadLength, ByteBuf buf, int offset, int length) {
        begin(iv);
        int total = aadLength + length;
        byte[] a = in = grow(in, total + BLOCK);
        System.arraycopy(aad, 0, a, 0, aadLength);
        buf.getBytes(offset, a, aadLength, length);
        hashPadded(a, 0, total);
        finish(total, 0);
    }

    /** Compares the received tag (at offset + length) with {@link #block}; on a match writes {@code plain} back. */
    private boolean verifyAndRelease(ByteBuf buf, int offset, int length, byte[] plain) {
        if (tagMatches(buf, offset + length)) {
            buf.setBytes(offset, plain, 0, length);
            return true;
        }
        // Unauthenticated plaintext never leaves this object, nor lingers in it.
        Arrays.fill(plain, 0, length, (byte) 0);
        return false;
    }

    /** The received ICV at {@code at} against the leftmost bytes of the computed tag. */
    private boolean tagMatches(ByteBuf buf, int at) {
        buf.getBytes(at, mask, 0, tagLength);
        return constantTimeEqual(block, mask, tagLength);
    }

    /** Every byte compared whatever the first difference (MessageDigest.isEqual's rule, without its copies). */
    private static boolean constantTimeEqual(byte[] a, byte[] b, int n) {
        int diff = 0;
        for (int i = 0; i < n; i++) {
            diff |= a[i] ^ b[i];
        }
        return diff == 0;
    }

    /** J0 and the first counter for this IV; GHASH emptied. */
    private void begin(long iv) {
        for (int i = 0; i < 8; i++) {
            byte b = (byte) (iv >>> (56 - 8 * i));
            j0[4 + i] = b;
            firstCounter[4 + i] = b;
        }
        try {
            GCTR_RESET.invokeExact(gctr);
        } catch (Throwable e) {
            throw new IllegalStateException("GCTR reset failed", e);
        }
        hashState[0] = 0;
        hashState[1] = 0;
    }

    /** GHASH over {@code a[o, o + n)} followed by zeros up to a whole block (SP 800-38D 7.1 step 5). */
    private void hashPadded(byte[] a, int o, int n) {
        try {
            int whole = n & -BLOCK;
            if (whole > 0) {
                int done = (int) GHASH_UPDATE.invokeExact(ghash, a, o, whole);
            }
            if (whole < n) {
                Arrays.fill(block, (byte) 0);
                System.arraycopy(a, o + whole, block, 0, n - whole);
                int done = (int) GHASH_UPDATE.invokeExact(ghash, block, 0, BLOCK);
            }
        } catch (Throwable e) {
            throw new IllegalStateException("GHASH failed", e);
        }
    }

    /** The lengths block hashed, then the full tag E(K, J0) xor S into {@link #block}. */
    private void finish(int aadLength, int textLength) {
        putLong(block, 0, (long) aadLength << 3);
        putLong(block, 8, (long) textLength << 3);
        try {
            int done = (int) GHASH_UPDATE.invokeExact(ghash, block, 0, BLOCK);
            AES_ENCRYPT_BLOCK.invokeExact(aes, j0, 0, mask, 0);
        } catch (Throwable e) {
            throw new IllegalStateException("GCM tag failed", e);
        }
        putLong(block, 0, hashState[0]);
        putLong(block, 8, hashState[1]);
        for (int i = 0; i < BLOCK; i++) {
            block[i] ^= mask[i];
        }
    }

    private static void putLong(byte[] b, int o, long v) {
        for (int i = 0; i < 8; i++) {
            b[o + i] = (byte) (v >>> (56 - 8 * i));
        }
    }

    private static byte[] grow(byte[] a, int n) {
        return a.length >= n ? a : new byte[Math.max(n, 2 * a.length)];
    }

    /** Zeroes the expanded AES key, AESCrypt's key copy, H and its powers, and every array of ours. */
    @Override
    public void close() {
        try {
            int[][] sessionKeys = (int[][]) AES_SESSION_KEYS.invokeExact(aes);
            if (sessionKeys != null) {
                for (int[] k : sessionKeys) {
                    Arrays.fill(k, 0);
                }
            }
            byte[] lastKey = (byte[]) AES_LAST_KEY.invokeExact(aes);
            if (lastKey != null) {
                Arrays.fill(lastKey, (byte) 0);
            }
            Arrays.fill((long[]) GHASH_SUBKEYS.invokeExact(ghash), 0L);
        } catch (Throwable e) {
            throw new IllegalStateException("wiping the AES-GCM key failed", e);
        }
        Arrays.fill(hashState, 0L);
        Arrays.fill(j0, (byte) 0);
        Arrays.fill(firstCounter, (byte) 0);
        Arrays.fill(block, (byte) 0);
        Arrays.fill(mask, (byte) 0);
        Arrays.fill(in, (byte) 0);
        Arrays.fill(out, (byte) 0);
    }
}
