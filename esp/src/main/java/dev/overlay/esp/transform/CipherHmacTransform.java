package dev.overlay.esp.transform;

import dev.overlay.esp.EspAlgorithm;
import dev.overlay.esp.IntegrityAlgorithm;
import io.netty.buffer.ByteBuf;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A cipher ({@link PayloadCipher}: AES-CBC, RFC 3602; and, for reading only, AES-CTR, RFC 3686,
 * 3DES-CBC, RFC 2451, DES-CBC, RFC 2405) or NULL (RFC 2410) with an optional HMAC ICV (RFC 4868;
 * for reading also the 96-bit truncations of RFC 2403, RFC 2404 and
 * draft-ietf-ipsec-ciph-sha-256-00), encrypt-then-MAC as RFC 4303 3.3.2 orders it: the ICV covers
 * SPI .. next header, then the ESN high bits when ESN is on (RFC 4303 2.2.1, appended for the
 * computation only). The ICV is checked before anything is decrypted, so a packet that fails it
 * is left as it came.
 */
final class CipherHmacTransform extends EspTransform {
    private final PayloadCipher cipher;
    private final Mac mac;
    private final byte[] full;
    private final byte[] expected;
    private final byte[] received;
    private final byte[] high = new byte[4];

    CipherHmacTransform(EspAlgorithm algorithm, byte[] key, byte[] salt, IntegrityAlgorithm integrity,
                        byte[] integrityKey, IvSource ivSource) {
        super(algorithm, integrity == null ? 0 : integrity.icvLength(), ivSource);
        cipher = PayloadCipher.of(algorithm, key, salt);
        if (integrity == null) {
            mac = null;
            full = expected = received = null;
        } else {
            try {
                mac = Mac.getInstance(integrity.jcaName());
                mac.init(new SecretKeySpec(integrityKey, integrity.jcaName()));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(integrity + " is missing from the JDK", e);
            }
            full = new byte[mac.getMacLength()];
            expected = new byte[integrity.icvLength()];
            received = new byte[integrity.icvLength()];
        }
    }

    @Override
    public void seal(ByteBuf buf, int start, int end, long sequence, boolean esn) {
        if (cipher != null) {
            writeIv(buf, start, sequence);
            int payload = start + 8 + ivLength();
            cipher.encrypt(buf, payload, end - payload, iv);
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
        if (cipher != null) {
            buf.getBytes(start + 8, iv);
            int payload = start + 8 + ivLength();
            cipher.decrypt(buf, payload, end - payload, iv);
        }
        return true;
    }

    /** The truncated HMAC (RFC 4868 2.3, RFC 2404 2: the leftmost bytes) into {@link #expected}. */
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

    @Override
    public void close() {
        if (cipher != null) {
            cipher.close();
        }
        for (byte[] b : new byte[][] {full, expected, received, high}) {
            if (b != null) {
                Arrays.fill(b, (byte) 0);
            }
        }
        super.close();
    }
}
