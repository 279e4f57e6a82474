package dev.overlay.vtep;

import io.netty.buffer.ByteBuf;

/** The one place that checks arguments, with Netty's message shape {@code "name: v (expected: ...)"}. */
final class Bounds {
    private Bounds() {}

    /** Prepending {@code length} bytes needs that much headroom before the reader index. */
    static void checkHeadroom(ByteBuf buf, int length, String what) {
        if (buf.readerIndex() < length) {
            throw new IllegalArgumentException(
                    what + " headroom: " + buf.readerIndex() + " (expected: >= " + length + ")");
        }
    }

    static int checkRange(int value, int min, int max, String name) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(
                    name + ": " + value + " (expected: " + min + ".." + max + ")");
        }
        return value;
    }

    static byte[] checkAddress(byte[] address, String name) {
        if (address == null || (address.length != 4 && address.length != 16)) {
            throw new IllegalArgumentException(
                    name + ": " + (address == null ? "null" : address.length + " bytes")
                            + " (expected: 4 or 16 bytes)");
        }
        return address;
    }
}
