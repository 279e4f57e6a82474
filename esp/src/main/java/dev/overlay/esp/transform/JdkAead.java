package dev.overlay.esp.transform;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.spec.AlgorithmParameterSpec;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-GCM (RFC 4106) and ChaCha20-Poly1305 (RFC 7634) on the JDK's intrinsified ciphers, and
 * AES-GMAC (RFC 4543) as GCM with nothing to encrypt.
 *
 * <p>The JDK's GCM accepts tags of 96..128 bits only, so ICV 12 and 16 come here and ICV 8
 * goes to {@link BcAead} (GCM's short tag is the full tag's prefix, NIST SP 800-38D 5.2.1.2,
 * but verifying one needs the full tag, which the JDK will not give a decrypting cipher).
 *
 * <p>Each packet needs {@code Cipher.init} with a new nonce, and the JDK's init copies the key
 * and nonce and builds its GHASH state: that, plus the parameter spec, is about 1.1 KB per
 * packet; the JCA offers no allocation-free re-key. So AES-GCM comes here only when
 * {@link JdkGcmAead} cannot reach the JDK's internals; ChaCha20-Poly1305 always does.
 */
final class JdkAead implements Aead, Gmac {
    private final boolean gcm;
    private final int tagLength;
    private final Cipher cipher;
    private final SecretKeySpec key;
    /** salt || explicit IV; the salt part is written once. */
    private final byte[] nonce = new byte[12];
    private final NioViews views = new NioViews();
    private final ByteBuffer noOutput = ByteBuffer.allocate(0);

    private JdkAead(String transformation, boolean gcm, byte[] key, byte[] salt, int tagLength) {
        this.gcm = gcm;
        this.tagLength = tagLength;
        if (salt.length != 4) {
            throw new IllegalArgumentException("salt: " + salt.length + " bytes (expected: 4)");
        }
        System.arraycopy(salt, 0, nonce, 0, 4);
        // SecretKeySpec keeps its own copy and cannot be destroyed (its destroy() throws):
        // that copy lives until the state is collected. Ours are zeroed in close().
        this.key = new SecretKeySpec(key, gcm ? "AES" : "ChaCha20");
        try {
            this.cipher = Cipher.getInstance(transformation);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(transformation + " is missing from the JDK", e);
        }
    }

    /** AES-GCM with a 12- or 16-byte ICV (or GMAC's 16). */
    static JdkAead gcm(byte[] key, byte[] salt, int tagLength) {
        if (tagLength != 12 && tagLength != 16) {
            throw new IllegalArgumentException("tagLength: " + tagLength + " (expected: 12 or 16; 8 is BcAead's)");
        }
        return new JdkAead("AES/GCM/NoPadding", true, key, salt, tagLength);
    }

    static JdkAead chaCha20Poly1305(byte[] key, byte[] salt) {
        return new JdkAead("ChaCha20-Poly1305", false, key, salt, 16);
    }

    @Override
    public int tagLength() {
        return tagLength;
    }

    private void init(int mode, long iv) throws GeneralSecurityException {
        for (int i = 0; i < 8; i++) {
            nonce[4 + i] = (byte) (iv >>> (56 - 8 * i));
        }
        AlgorithmParameterSpec spec = gcm ? new GCMParameterSpec(tagLength * 8, nonce) : new IvParameterSpec(nonce);
        cipher.init(mode, key, spec);
    }

    @Override
    public void seal(long iv, byte[] aad, int aadLength, ByteBuf buf, int offset, int length) {
        try {
            init(Cipher.ENCRYPT_MODE, iv);
            if (aadLength > 0) {
                cipher.updateAAD(aad, 0, aadLength);
            }
            ByteBuffer in = views.in(buf, offset, length);
            cipher.doFinal(in, views.out(in, length + tagLength));
        } catch (GeneralSecurityException e) {
            // Only misuse gets here (a repeated nonce, a short buffer): never a packet's fault.
            throw new IllegalStateException("sealing failed", e);
        }
    }

    @Override
    public boolean open(long iv, byte[] aad, int aadLength, ByteBuf buf, int offset, int length) {
        try {
            init(Cipher.DECRYPT_MODE, iv);
            if (aadLength > 0) {
                cipher.updateAAD(aad, 0, aadLength);
            }
            ByteBuffer in = views.in(buf, offset, length + tagLength);
            // The JDK verifies the whole tag (constant time) before it releases plaintext.
            cipher.doFinal(in, views.out(in, length));
            return true;
        } catch (AEADBadTagException e) {
            return false;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("opening failed", e);
        }
    }

    @Override
    public void macSeal(long iv, byte[] aad, int aadLength, ByteBuf buf, int offset, int length) {
        try {
            init(Cipher.ENCRYPT_MODE, iv);
            cipher.updateAAD(aad, 0, aadLength);
            cipher.updateAAD(views.in(buf, offset, length));
            ByteBuffer tag = views.in(buf, offset + length, tagLength);
            cipher.doFinal(noOutput.clear(), tag);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("sealing failed", e);
        }
    }

    @Override
    public boolean macOpen(long iv, byte[] aad, int aadLength, ByteBuf buf, int offset, int length) {
        try {
            init(Cipher.DECRYPT_MODE, iv);
            cipher.updateAAD(aad, 0, aadLength);
            cipher.updateAAD(views.in(buf, offset, length));
            cipher.doFinal(views.in(buf, offset + length, tagLength), noOutput.clear());
            return true;
        } catch (AEADBadTagException e) {
            return false;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("opening failed", e);
        }
    }

    @Override
    public void close() {
        Arrays.fill(nonce, (byte) 0);
        views.clear();
    }
}
