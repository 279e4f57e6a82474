package dev.overlay.esp.transform;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * Where a sealed packet's explicit IV comes from. Counter-mode AEADs take the 64-bit sequence
 * number (RFC 4106 3.1 and RFC 7634 2 ask only for uniqueness under a key, and an outbound SA
 * never wraps); CBC needs unpredictable IVs (RFC 3602 3, RFC 2451 2.4). Tests substitute fixed IVs to
 * reproduce published packets.
 */
@FunctionalInterface
public interface IvSource {

    /** Writes {@code iv.length} bytes of IV for the packet with sequence number {@code sequence}. */
    void next(long sequence, byte[] iv);

    /** The sequence number, big-endian: unique per key, cheap, and what Linux' seqiv does. */
    IvSource SEQUENCE = (sequence, iv) -> {
        for (int i = 0; i < 8; i++) {
            iv[i] = (byte) (sequence >>> (56 - 8 * i));
        }
    };

    /**
     * Unpredictable IVs without per-packet allocation: AES-ECB, under a key drawn once from
     * {@link SecureRandom}, of a counter block (sequence || per-SA random half). An observer
     * who knows the counter cannot predict the output without that key, which is what RFC
     * 3602's "MUST be chosen at random" protects against (chosen-plaintext attacks on CBC).
     * The key lives only inside the JCA cipher and is zeroed here after init.
     */
    static IvSource unpredictable() {
        SecureRandom random = new SecureRandom();
        byte[] key = new byte[16];
        byte[] block = new byte[16];
        byte[] out = new byte[16];
        random.nextBytes(key);
        random.nextBytes(block);
        try {
            Cipher ecb = Cipher.getInstance("AES/ECB/NoPadding");
            ecb.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));
            java.util.Arrays.fill(key, (byte) 0);
            return (sequence, iv) -> {
                for (int i = 0; i < 8; i++) {
                    block[i] = (byte) (sequence >>> (56 - 8 * i));
                }
                try {
                    // An 8-byte IV (3DES, DES) takes the first half of the block.
                    ecb.update(block, 0, 16, out, 0);
                    System.arraycopy(out, 0, iv, 0, iv.length);
                } catch (GeneralSecurityException e) {
                    throw new IllegalStateException("AES-ECB refused a full block", e);
                }
            };
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-ECB is missing from the JDK", e);
        }
    }
}
