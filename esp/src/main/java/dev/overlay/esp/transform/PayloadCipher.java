package dev.overlay.esp.transform;

import dev.overlay.esp.EspAlgorithm;
import io.netty.buffer.ByteBuf;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The confidentiality half of a cipher-then-HMAC transform ({@link CipherHmacTransform}): CBC
 * over AES (RFC 3602), 3DES (RFC 2451) or DES (RFC 2405), or AES-CTR (RFC 3686), in place over
 * the payload that follows the IV. Data passes through scratch arrays: the JDK copies
 * (allocates) when input and output arrays overlap.
 */
abstract sealed class PayloadCipher permits PayloadCipher.Cbc, PayloadCipher.Ctr {
    static final int CHUNK = 2048;

    final byte[] in = new byte[CHUNK];
    final byte[] out = new byte[CHUNK];

    /** The cipher of {@code algorithm} ({@code key} without salt, {@code nonce} the RFC 3686 nonce or empty); null for NULL. */
    static PayloadCipher of(EspAlgorithm algorithm, byte[] key, byte[] nonce) {
        try {
            return switch (algorithm) {
                case AES_CBC_128, AES_CBC_192, AES_CBC_256 -> new Cbc("AES", key);
                case TRIPLE_DES_CBC -> new Cbc("DESede", key);
                case DES_CBC -> new Cbc("DES", key);
                case AES_CTR_128, AES_CTR_192, AES_CTR_256 -> new Ctr(key, nonce);
                case NULL -> null;
                default -> throw new IllegalArgumentException("algorithm: " + algorithm + " (expected: a cipher "
                        + "without its own ICV)");
            };
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(algorithm + " is missing from the JDK", e);
        }
    }

    /** Encrypts {@code [offset, offset + length)} of {@code buf} in place under the packet's {@code iv}. */
    abstract void encrypt(ByteBuf buf, int offset, int length, byte[] iv);

    /** Decrypts {@code [offset, offset + length)} of {@code buf} in place under the packet's {@code iv}. */
    abstract void decrypt(ByteBuf buf, int offset, int length, byte[] iv);

    /** Zeroes the scratch arrays (they held plaintext). */
    void close() {
        Arrays.fill(in, (byte) 0);
        Arrays.fill(out, (byte) 0);
    }

    /** Runs {@code cipher} over the region in chunks, XORing {@code iv} into the first block's input or output as asked. */
    final void chunks(Cipher cipher, ByteBuf buf, int offset, int length, byte[] iv, boolean xorInput, boolean xorOutput) {
        try {
            for (int done = 0; done < length; ) {
                int n = Math.min(CHUNK, length - done);
                buf.getBytes(offset + done, in, 0, n);
                if (done == 0 && xorInput) {
                    xor(in, iv);
                }
                cipher.update(in, 0, n, out, 0);
                if (done == 0 && xorOutput) {
                    xor(out, iv);
                }
                buf.setBytes(offset + done, out, 0, n);
                done += n;
            }
            cipher.doFinal(out, 0);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(cipher.getAlgorithm() + " refused its input", e);
        }
    }

    private static void xor(byte[] block, byte[] iv) {
        for (int i = 0; i < iv.length; i++) {
            block[i] ^= iv[i];
        }
    }

    /**
     * CBC on two ciphers keyed once with a zero IV; the packet's IV is XORed into the first
     * plaintext block before encryption (and out of the first block after decryption), which is
     * CBC with that IV, without a per-packet {@code init}. The caller checks that the length is
     * whole blocks (RFC 4303 3.4.1).
     */
    static final class Cbc extends PayloadCipher {
        private final Cipher encrypt;
        private final Cipher decrypt;

        Cbc(String cipher, byte[] key) throws GeneralSecurityException {
            SecretKeySpec k = new SecretKeySpec(key, cipher);
            encrypt = Cipher.getInstance(cipher + "/CBC/NoPadding");
            IvParameterSpec zero = new IvParameterSpec(new byte[encrypt.getBlockSize()]);
            encrypt.init(Cipher.ENCRYPT_MODE, k, zero);
            decrypt = Cipher.getInstance(cipher + "/CBC/NoPadding");
            decrypt.init(Cipher.DECRYPT_MODE, k, zero);
        }

        @Override
        void encrypt(ByteBuf buf, int offset, int length, byte[] iv) {
            chunks(encrypt, buf, offset, length, iv, true, false);
        }

        @Override
        void decrypt(ByteBuf buf, int offset, int length, byte[] iv) {
            chunks(decrypt, buf, offset, length, iv, false, true);
        }
    }

    /**
     * AES-CTR as RFC 3686 section 4 lays out the counter block: the SA's 4-byte nonce, the
     * packet's 8-byte IV, then a 32-bit block counter starting at 1. Encryption and decryption
     * are the same keystream XOR. The JCA's CTR takes the counter block as its IV, so each
     * packet costs an {@code init} (and its small allocation): acceptable for a transform that
     * is only ever opened, by the offline tools.
     */
    static final class Ctr extends PayloadCipher {
        private final Cipher cipher;
        private final SecretKeySpec key;
        private final byte[] counterBlock = new byte[16];

        Ctr(byte[] key, byte[] nonce) throws GeneralSecurityException {
            if (nonce.length != 4) {
                throw new IllegalArgumentException("nonce: " + nonce.length + " bytes (expected: 4)");
            }
            this.key = new SecretKeySpec(key, "AES");
            this.cipher = Cipher.getInstance("AES/CTR/NoPadding");
            System.arraycopy(nonce, 0, counterBlock, 0, 4);
            counterBlock[15] = 1;
        }

        @Override
        void encrypt(ByteBuf buf, int offset, int length, byte[] iv) {
            run(buf, offset, length, iv);
        }

        @Override
        void decrypt(ByteBuf buf, int offset, int length, byte[] iv) {
            run(buf, offset, length, iv);
        }

        private void run(ByteBuf buf, int offset, int length, byte[] iv) {
            System.arraycopy(iv, 0, counterBlock, 4, 8);
            try {
                cipher.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(counterBlock));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES-CTR refused its key or counter block", e);
            }
            chunks(cipher, buf, offset, length, iv, false, false);
        }

        @Override
        void close() {
            Arrays.fill(counterBlock, (byte) 0);
            super.close();
        }
    }
}
