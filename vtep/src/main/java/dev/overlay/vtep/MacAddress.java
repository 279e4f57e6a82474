package dev.overlay.vtep;

import io.netty.buffer.ByteBuf;

/**
 * A 48-bit IEEE 802 MAC address held in the low 48 bits of a long, so the data path can read,
 * compare and hash addresses without allocating; the record is for configuration and tools.
 *
 * @param value the address, first octet in bits 47..40
 */
public record MacAddress(long value) {
    public static final MacAddress BROADCAST = new MacAddress(0xFFFF_FFFF_FFFFL);

    /** Bit 0 of the first octet: the I/G (group) bit, set for multicast and broadcast. */
    private static final long GROUP_BIT = 1L << 40;
    private static final long MASK = 0xFFFF_FFFF_FFFFL;

    public MacAddress {
        if ((value & ~MASK) != 0) {
            throw new IllegalArgumentException(
                    "mac: 0x" + Long.toHexString(value) + " (expected: 48 bits)");
        }
    }

    /** Parses {@code 02:00:00:00:0a:01} (also with '-' separators, either case). */
    public static MacAddress of(String text) {
        if (text == null || text.length() != 17) {
            throw malformed(text);
        }
        long v = 0;
        for (int i = 0; i < 6; i++) {
            int hi = Character.digit(text.charAt(i * 3), 16);
            int lo = Character.digit(text.charAt(i * 3 + 1), 16);
            if (hi < 0 || lo < 0) {
                throw malformed(text);
            }
            if (i < 5) {
                char sep = text.charAt(i * 3 + 2);
                if (sep != ':' && sep != '-') {
                    throw malformed(text);
                }
            }
            v = (v << 8) | (hi << 4) | lo;
        }
        return new MacAddress(v);
    }

    private static IllegalArgumentException malformed(String text) {
        return new IllegalArgumentException(
                "mac: \"" + text + "\" (expected: six hex octets separated by ':', like 02:00:00:00:0a:01)");
    }

    /** True for group addresses: multicast and broadcast. */
    public boolean isMulticast() {
        return isMulticast(value);
    }

    public boolean isBroadcast() {
        return value == MASK;
    }

    public static boolean isMulticast(long mac) {
        return (mac & GROUP_BIT) != 0;
    }

    /** The six bytes in wire order. */
    public byte[] bytes() {
        byte[] b = new byte[6];
        for (int i = 0; i < 6; i++) {
            b[i] = (byte) (value >>> (40 - 8 * i));
        }
        return b;
    }

    /** Reads six bytes at an absolute index, without moving indices. */
    public static long read(ByteBuf buf, int index) {
        return ((long) buf.getUnsignedShort(index) << 32) | buf.getUnsignedInt(index + 2);
    }

    /** Writes six bytes at an absolute index, without moving indices. */
    public static void write(ByteBuf buf, int index, long mac) {
        buf.setShort(index, (int) (mac >>> 32));
        buf.setInt(index + 2, (int) mac);
    }

    /** Lowercase colon form, as ip-link and tcpdump print it. */
    public static String toString(long mac) {
        char[] c = new char[17];
        for (int i = 0; i < 6; i++) {
            int octet = (int) (mac >>> (40 - 8 * i)) & 0xFF;
            c[i * 3] = Character.forDigit(octet >>> 4, 16);
            c[i * 3 + 1] = Character.forDigit(octet & 0xF, 16);
            if (i < 5) {
                c[i * 3 + 2] = ':';
            }
        }
        return new String(c);
    }

    @Override
    public String toString() {
        return toString(value);
    }
}
