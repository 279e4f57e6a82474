package dev.overlay.esp.transform;

import io.netty.buffer.ByteBuf;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-CCM for ESP (RFC 4309, CCM per RFC 3610 / NIST SP 800-38C) built on the JDK's
 * intrinsified AES, which has no CCM of its own: the CBC-MAC runs through one
 * "AES/CBC/NoPadding" cipher keyed once with a zero IV (its doFinal rewinds to that IV, so no
 * per-packet init), and the counter keystream is AES-ECB of counter blocks XORed into the data.
 * Nothing is allocated per packet. {@code EspBenchmark.ccm*} compares it with {@link BcAead#ccm}.
 *
 * <p>RFC 4309 4: nonce = 3-byte salt || 8-byte IV, so L = 4 (a 4-byte length/counter field).
 * CCM decrypts before it can verify; a packet whose tag fails is dropped, its plaintext unused.
 */
final class AesCcm implements Aead {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());
    /** Bytes processed per pass; a multiple of the block size. */
    private static final int CHUNK = 1024;
    private static final int L = 4;

    private final Cipher mac;
    private final Cipher ecb;
    private final int tagLength;
    private final byte[] nonce = new byte[11];
    private final byte[] data = new byte[CHUNK];
    private final byte[] macOut = new byte[CHUNK];
    private final byte[] counters = new byte[CHUNK];
    private final byte[] keystream = new byte[CHUNK];
    private final byte[] block = new byte[16];
    private final byte[] s0 = new byte[16];
    private final byte[] tag = new byte[16];
    private final byte[] expected;
    private final byte[] received;
    private byte[] header = new byte[64];

    AesCcm(byte[] key, byte[] salt, int tagLength) {
        if (salt.length != 3) {
            throw new IllegalArgumentException("salt: " + salt.length + " bytes (expected: 3)");
        }
        if (tagLength != 8 && tagLength != 12 && tagLength != 16) {
            throw new IllegalArgumentException("tagLength: " + tagLength + " (expected: 8, 12 or 16)");
        }
        this.tagLength = tagLength;
        this.expected = new byte[tagLength];
        this.received = new byte[tagLength];
        System.arraycopy(salt, 0, nonce, 0, 3);
        SecretKeySpec k = new SecretKeySpec(key, "AES");
        try {
            mac = Cipher.getInstance("AES/CBC/NoPadding");
            mac.init(Cipher.ENCRYPT_MODE, k, new IvParameterSpec(new byte[16]));
            ecb = Cipher.getInstance("AES/ECB/NoPadding");
            ecb.init(Cipher.ENCRYPT_MODE, k);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES is missing from the JDK", e);
        }
    }

    @Override
    public int tagLength() {
        return tagLength;
    }

    @Override
    public void seal(long iv, byte[] aad, int aadLength, ByteBuf buf, int offset, int length) {
        run(true, iv, aad, aadLength, buf, offset, length);
        for (int i = 0; i < tagLength; i++) {
            buf.setByte(offset + length + i, tag[i] ^ s0[i]);
        }
    }

    @Override
    public boolean open(long iv, byte[] aad, int aadLength, ByteBuf buf, int offset, int length) {
        run(false, iv, aad, aadLength, buf, offset, length);
        for (int i = 0; i < tagLength; i++) {
            expected[i] = (byte) (tag[i] ^ s0[i]);
        }
        buf.getBytes(offset + length, received);
        return MessageDigest.isEqual(expected, received);
    }

    /** CBC-MAC over the plaintext into {@code tag}, CTR over the data, S0 into {@code s0}. */
    private void run(boolean seal, long iv, byte[] aad, int aadLength, ByteBuf buf, int offset, int length) {
        for (int i = 0; i < 8; i++) {
            nonce[3 + i] = (byte) (iv >>> (56 - 8 * i));
        }
        try {
            macHeader(aad, aadLength, length);
            int ctr = 1;
            for (int done = 0; done < length; ) {
                int n = Math.min(CHUNK, length - done);
                int index = offset + done;
                buf.getBytes(index, data, 0, n);
                int blocks = (n + 15) >>> 4;
                if (seal) {
                    macBlocks(n);
                }
                fillCounters(ctr, blocks);
                ecb.update(counters, 0, blocks << 4, keystream, 0);
                xor(n);
                if (!seal) {
                    macBlocks(n);
                }
                buf.setBytes(index, data, 0, n);
                ctr += blocks;
                done += n;
            }
            // The last CBC-MAC output block is in tag; doFinal rewinds the chain to the zero IV.
            mac.doFinal(macOut, 0);
            fillCounters(0, 1);
            ecb.update(counters, 0, 16, s0, 0);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES refused a whole number of blocks", e);
        }
    }

    /** B0 and the encoded AAD (RFC 3610 2.2), MACed first. */
    private void macHeader(byte[] aad, int aadLength, int length) throws GeneralSecurityException {
        int aadBlocks = aadLength == 0 ? 0 : (2 + aadLength + 15) >>> 4;
        int size = 16 + (aadBlocks << 4);
        if (header.length < size) {
            header = new byte[size];
        }
        Arrays.fill(header, 0, size, (byte) 0);
        header[0] = (byte) ((aadLength > 0 ? 0x40 : 0) | (((tagLength - 2) / 2) << 3) | (L - 1));
        System.arraycopy(nonce, 0, header, 1, 11);
        header[12] = (byte) (length >>> 24);
        header[13] = (byte) (length >>> 16);
        header[14] = (byte) (length >>> 8);
        header[15] = (byte) length;
        if (aadLength > 0) {
            if (aadLength >= 0xFF00) {
                throw new IllegalArgumentException("aadLength: " + aadLength + " (expected: < 65280)");
            }
            header[16] = (byte) (aadLength >>> 8);
            header[17] = (byte) aadLength;
            System.arraycopy(aad, 0, header, 18, aadLength);
        }
        int n = 0;
        for (int off = 0; off < size; off += n) {
            n = Math.min(CHUNK, size - off);
            mac.update(header, off, n, macOut, 0);
        }
        System.arraycopy(macOut, n - 16, tag, 0, 16);
    }

    /** MACs data[0, n), zero-padding the final partial block; keeps the last output in tag. */
    private void macBlocks(int n) throws GeneralSecurityException {
        int full = n & ~15;
        if (full > 0) {
            mac.update(data, 0, full, macOut, 0);
            System.arraycopy(macOut, full - 16, tag, 0, 16);
        }
        if (n > full) {
            Arrays.fill(block, (byte) 0);
            System.arraycopy(data, full, block, 0, n - full);
            mac.update(block, 0, 16, macOut, 0);
            System.arraycopy(macOut, 0, tag, 0, 16);
        }
    }

    /** A_i = flags(L - 1) || nonce || i (RFC 3610 2.3), for i in [first, first + blocks). */
    private void fillCounters(int first, int blocks) {
        for (int b = 0; b < blocks; b++) {
            int o = b << 4;
            int i = first + b;
            counters[o] = L - 1;
            System.arraycopy(nonce, 0, counters, o + 1, 11);
            counters[o + 12] = (byte) (i >>> 24);
            counters[o + 13] = (byte) (i >>> 16);
            counters[o + 14] = (byte) (i >>> 8);
            counters[o + 15] = (byte) i;
        }
    }

    private void xor(int n) {
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            LONGS.set(data, i, (long) LONGS.get(data, i) ^ (long) LONGS.get(keystream, i));
        }
        for (; i < n; i++) {
            data[i] ^= keystream[i];
        }
    }

    @Override
    public void close() {
        for (byte[] b : new byte[][] {nonce, data, macOut, counters, keystream, block, s0, tag, expected, received, header}) {
            Arrays.fill(b, (byte) 0);
        }
    }
}
