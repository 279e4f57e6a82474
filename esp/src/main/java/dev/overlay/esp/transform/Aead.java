package dev.overlay.esp.transform;

import io.netty.buffer.ByteBuf;

/**
 * An AEAD cipher in ESP form (RFC 4106 4, RFC 4309 4, RFC 7634 2): nonce = salt || the 8-byte
 * explicit IV, one key per instance, data encrypted in place inside a {@link ByteBuf}.
 * Thread-confined; {@link #close()} zeroes the key copies this object holds.
 */
public interface Aead extends AutoCloseable {

    int tagLength();

    /**
     * Encrypts {@code [offset, offset + length)} in place and writes the tag at
     * {@code offset + length}. {@code aad[0, aadLength)} is authenticated, not sent.
     */
    void seal(long iv, byte[] aad, int aadLength, ByteBuf buf, int offset, int length);

    /**
     * Verifies the tag at {@code offset + length} over the ciphertext {@code [offset, offset + length)}
     * and decrypts it in place. Returns false, leaving the region's content unspecified, when
     * the tag does not verify.
     */
    boolean open(long iv, byte[] aad, int aadLength, ByteBuf buf, int offset, int length);

    @Override
    void close();
}
