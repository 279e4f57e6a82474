package dev.overlay.pcap.keys;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** Text of SA files: hex keys and literal addresses, never a name lookup. */
final class KeyText {
    private static final Pattern HEX = Pattern.compile("0[xX]([0-9A-Fa-f]*)");
    private static final Pattern DOTTED_QUAD = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");

    private KeyText() {
    }

    /**
     * {@code 0x} then hex digits, as ip-xfrm prints keys; an odd count gets a leading 0, as
     * Wireshark reads it. Returns null when {@code text} is not that.
     */
    static byte[] hexKey(String text) {
        var m = HEX.matcher(text);
        if (!m.matches()) {
            return null;
        }
        String digits = m.group(1);
        return HexFormat.of().parseHex(digits.length() % 2 == 1 ? "0" + digits : digits);
    }

    /** An IPv4 (dotted quad) or IPv6 literal; null when it is neither. */
    static InetAddress address(String text) {
        if (text.indexOf(':') < 0 && !DOTTED_QUAD.matcher(text).matches()) {
            return null;
        }
        try {
            InetAddress a = InetAddress.ofLiteral(text);
            return a instanceof Inet4Address || text.indexOf(':') >= 0 ? a : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * {@code text} as a message may quote it: one line, control characters (a lone CR, an
     * escaped byte of an esp_sa field) shown as {@code ?}, at most 60 characters.
     */
    static String shown(String text) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < text.length() && sb.length() < 60; i++) {
            char c = text.charAt(i);
            sb.append(c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029' ? '?' : c);
        }
        return text.length() > 60 ? sb + "..." : sb.toString();
    }

    /** The unsigned 32-bit value of {@code text} as C's {@code strtoul(text, NULL, 0)} reads it, or -1. */
    static long strtoul(String text) {
        try {
            long v;
            if (text.startsWith("0x") || text.startsWith("0X")) {
                v = Long.parseLong(text.substring(2), 16);
            } else if (text.length() > 1 && text.startsWith("0")) {
                v = Long.parseLong(text.substring(1), 8);
            } else {
                v = Long.parseLong(text);
            }
            return v >= 0 && v <= 0xFFFF_FFFFL ? v : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
