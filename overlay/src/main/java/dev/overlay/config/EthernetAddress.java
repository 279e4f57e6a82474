package dev.overlay.config;

import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A 48-bit IEEE 802 MAC address as written in the config ({@code "02:00:00:00:0a:01"}), held
 * in the low 48 bits of a {@code long} so the datapath can compare and hash it without objects.
 */
public record EthernetAddress(long value) {

    private static final long MAX = 0xFFFF_FFFF_FFFFL;
    private static final Pattern SYNTAX =
            Pattern.compile("[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(\\1[0-9A-Fa-f]{2}){4}");

    public EthernetAddress {
        if (value < 0 || value > MAX) {
            throw new IllegalArgumentException("value: 0x" + Long.toHexString(value)
                    + " (expected: 0..0xffffffffffff)");
        }
    }

    /**
     * Parses six two-digit hex octets separated by {@code :} (or {@code -}, as Windows writes
     * them; one separator throughout).
     *
     * @throws IllegalArgumentException with a message fit for a config error
     */
    public static EthernetAddress parse(String text) {
        if (text == null || !SYNTAX.matcher(text).matches()) {
            throw new IllegalArgumentException("'" + text
                    + "' is not a MAC address (expected six hex octets like 02:00:00:00:0a:01)");
        }
        return new EthernetAddress(Long.parseLong(text.replace(":", "").replace("-", ""), 16));
    }

    /** The I/G bit, the least significant bit of the first octet (IEEE 802-2014 8.2). */
    public boolean isMulticast() {
        return ((value >>> 40) & 1) != 0;
    }

    public boolean isBroadcast() {
        return value == MAX;
    }

    /** The six octets in transmission order. */
    public byte[] toBytes() {
        byte[] b = new byte[6];
        for (int i = 0; i < 6; i++) {
            b[i] = (byte) (value >>> (40 - 8 * i));
        }
        return b;
    }

    @Override
    public String toString() {
        String hex = HexFormat.of().toHexDigits(value).substring(4);
        StringBuilder sb = new StringBuilder(17);
        for (int i = 0; i < 12; i += 2) {
            if (i > 0) {
                sb.append(':');
            }
            sb.append(hex, i, i + 2);
        }
        return sb.toString();
    }
}
