package dev.overlay.esp.transform;

import io.netty.buffer.ByteBuf;

/** AES-GMAC (RFC 4543 3.3) in ESP form: a 16-byte tag over aad || a region, nothing encrypted. Thread-confined. */
interface Gmac extends AutoCloseable {

    /** Writes the tag over {@code aad[0, aadLength) || buf[offset, offset + length)} at {@code offset + length}. */
    void macSeal(long iv, byte[] aad, int aadLength, ByteBuf buf, int offset, int length);

    /** Verifies the tag at {@code offset + length}. */
    boolean macOpen(long iv, byte[] aad, int aadLength, ByteBuf buf, int offset, int length);

    @Override
    void close();
}
