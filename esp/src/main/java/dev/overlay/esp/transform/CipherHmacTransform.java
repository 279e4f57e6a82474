package dev.overlay.esp.transform;

import dev.overlay.esp.EspAlgorithm;
import dev.overlay.esp.IntegrityAlgorithm;
import io.netty.buffer.ByteBuf;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-CBC (RFC 3602) or NULL (RFC 2410) with an optional HMAC-SHA-2 ICV (RFC 4868),
 * encrypt-then-MAC as RFC 4303 3.3.2 orders it: the ICV covers SPI .. next header, then the
 * ESN high bits when ESN is on (RFC 4303 2.2.1, appended for the computation only).
 *
 * <p>CBC runs on two ciphers keyed once with a zero IV; the packet's IV is XORed into the
 * first plaintext block before encryption (and out of the first block after decryption),
 * which is CBC with that IV, without a per-packet {@code init}. The data passes through
 * scratch arrays: the JDK copies (allocates) when input and output arrays overlap.
 */
final class CipherHmacTransform extends EspTransform {
    private static final int CHUNK = 2048;

    private final Cipher encrypt;
    private final Cipher decrypt;
    private final Mac mac;
    private final byte[] in;
    private final byte[] out;
    private final byte[] full;
    private final byte[] expected;
    private final byte[] received;
    private final byte[] high = new byte[4];

    CipherHmacTransform(EspAlgorithm algorithm, byte[] key, IntegrityAlgorithm integrity, byte[] integrityKey,
                        IvSource ivSource) {
        super(algorithm, integrity == null ? 0 : integrity.icvLength(), ivSource);
        try {
            if (algorithm == EspAlgorithm.NULL) {
                encrypt = null;
                decrypt = null;
                in = out = null;
            } else {
                SecretKeySpec k = new SecretKeySpec(key, "AES");
                IvParameterSpec zero = new IvParameterSpec(new byte[16]);
                encrypt = Cipher.getInstance("AES/CBC/NoPadding");
                encrypt.init(Cipher.ENCRYPT_MODE, k, zero);
                decrypt = Cipher.getInstance("AES/CBC/NoPadding");
                decrypt.init(Cipher.DECRYPT_MODE, k, zero);
                in = new byte[CHUNK];
                out = new byte[CHUNK];
            }
            if (integrity == null) {
                mac = null;
                full = expected = received = null;
            } else {
                mac = Mac.getInstance(integrity.jcaName());
                mac.init(new SecretKeySpec(integrityKey, integrity.jcaName()));
                full = new byte[mac.getMacLength()];
                expected = new byte[integrity.icvLength()];
                received = new byte[integrity.icvLength()];
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(algorithm + "/" + integrity + " is missing from the JDK", e);
        }
    }

    @Override
    public void seal(ByteBuf buf, int start, int end, long sequence, boolean esn) {
        if (encrypt != null) {
            writeIv(buf, start, sequence);
            cbc(encrypt, buf, start + 24, end - start - 24);
        }
        if (mac != null) {
            icv(buf, start, end, sequence, esn);
            buf.setBytes(end, expected);
        }
    }

    @Override
    public boolean open(ByteBuf buf, int start, int end, long sequence, boolean esn) {
        if (mac != null) {
            icv(buf, start, end, sequence, esn);
            buf.getBytes(end, received);
            if (!MessageDigest.isEqual(expected, received)) {
                return false;
            }
        }
        if (decrypt != null) {
            buf.getBytes(start + 8, iv);
            cbc(decrypt, buf, start + 24, end - start - 24);
        }
        return true;
    }

    /** The truncated HMAC (RFC 4868 2.3: the leftmost half) into {@link #expected}. */
    private void icv(ByteBuf buf, int start, int end, long sequence, boolean esn) {
        try {
            mac.update(buf.internalNioBuffer(start, end - start));
            if (esn) {
                putInt(high, 0, (int) (sequence >>> 32));
                mac.update(high);
            }
            mac.doFinal(full, 0);
            System.arraycopy(full, 0, expected, 0, expected.length);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC refused its output buffer", e);
        }
    }

    /** CBC over whole blocks in place, the IV applied to the first block by XOR (see class comment). */
    private void cbc(Cipher cipher, ByteBuf buf, int offset, int length) {
        boolean encrypting = cipher == encrypt;
        try {
            for (int done = 0; done < length; ) {
                int n = Math.min(CHUNK, length - done);
                buf.getBytes(offset + done, in, 0, n);
                if (done == 0 && encrypting) {
                    xorIv(in);
                }
                cipher.update(in, 0, n, out, 0);
                if (done == 0 && !encrypting) {
                    xorIv(out);
                }
                buf.setBytes(offset + done, out, 0, n);
                done += n;
            }
            cipher.doFinal(out, 0);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-CBC refused a whole number of blocks", e);
        }
    }

    private void xorIv(byte[] block) {
        for (int i = 0; i < 16; i++) {
            block[i] ^= iv[i];
        }
    }

    @Override
    public void close() {
        for (byte[] b : new byte[][] {in, out, full, expected, received, high}) {
            if (b != null) {
                Arrays.fill(b, (byte) 0);
            }
        }
        super.close();
    }
}
