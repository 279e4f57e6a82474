package dev.overlay.esp.transform;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.modes.AEADBlockCipher;
import org.bouncycastle.crypto.modes.CCMBlockCipher;
import org.bouncycastle.crypto.modes.GCMBlockCipher;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * Bouncy Castle's AES-GCM and AES-CCM for what the JDK lacks: GCM with an 8-byte ICV (the JDK
 * refuses tags under 96 bits) and the CCM baseline that {@link AesCcm} is measured against.
 * BC works on arrays: a heap buffer is processed where it lies, a direct one through a scratch
 * array grown once to the largest packet seen.
 */
final class BcAead implements Aead {
    private final AEADBlockCipher cipher;
    /** BC keeps (and hands out) its own copy: that is the one close() zeroes. */
    private final KeyParameter key;
    private final byte[] nonce;
    private final int tagLength;
    private byte[] scratch = new byte[2048];
    private boolean keyed;

    private BcAead(AEADBlockCipher cipher, byte[] key, byte[] salt, int tagLength) {
        this.cipher = cipher;
        this.key = new KeyParameter(key);
        this.nonce = Arrays.copyOf(salt, salt.length + 8);
        this.tagLength = tagLength;
    }

    static BcAead gcm(byte[] key, byte[] salt, int tagLength) {
        return new BcAead(GCMBlockCipher.newInstance(AESEngine.newInstance()), key, salt, tagLength);
    }

    static BcAead ccm(byte[] key, byte[] salt, int tagLength) {
        return new BcAead(CCMBlockCipher.newInstance(AESEngine.newInstance()), key, salt, tagLength);
    }

    @Override
    public int tagLength() {
        return tagLength;
    }

    private void init(boolean encrypt, long iv, byte[] aad, int aadLength) {
        int s = nonce.length - 8;
        for (int i = 0; i < 8; i++) {
            nonce[s + i] = (byte) (iv >>> (56 - 8 * i));
        }
        // A null key reuses the expanded key (and GCM's H) of the previous init.
        cipher.init(encrypt, new AEADParameters(keyed ? null : key, tagLength * 8, nonce));
        keyed = true;
        cipher.processAADBytes(aad, 0, aadLength);
    }

    @Override
    public void seal(long iv, byte[] aad, int aadLength, ByteBuf buf, int offset, int length) {
        init(true, iv, aad, aadLength);
        run(buf, offset, length, length + tagLength);
    }

    @Override
    public boolean open(long iv, byte[] aad, int aadLength, ByteBuf buf, int offset, int length) {
        init(false, iv, aad, aadLength);
        return run(buf, offset, length + tagLength, length);
    }

    private boolean run(ByteBuf buf, int offset, int inLength, int outLength) {
        byte[] a;
        int o;
        if (buf.hasArray()) {
            a = buf.array();
            o = buf.arrayOffset() + offset;
        } else {
            if (scratch.length < inLength + tagLength) {
                scratch = new byte[inLength + tagLength];
            }
            buf.getBytes(offset, scratch, 0, inLength);
            a = scratch;
            o = 0;
        }
        try {
            int n = cipher.processBytes(a, o, inLength, a, o);
            cipher.doFinal(a, o + n);
        } catch (InvalidCipherTextException e) {
            return false;
        }
        if (a == scratch) {
            buf.setBytes(offset, scratch, 0, outLength);
        }
        return true;
    }

    @Override
    public void close() {
        // The engine's expanded key schedule is private to BC and stays until collected.
        Arrays.fill(key.getKey(), (byte) 0);
        Arrays.fill(nonce, (byte) 0);
        Arrays.fill(scratch, (byte) 0);
    }
}
