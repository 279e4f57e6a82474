package dev.overlay.pcap.keys;

import java.nio.file.Path;
import java.util.List;

/** The values on a line of {@code ip xfrm state} output, as iproute2 prints them, each refusal one sentence. */
final class XfrmFields {
    private XfrmFields() {
    }

    /** The word after {@code keyword} on a line of tokens {@code t}. */
    static String value(Path file, int number, List<String> t, String keyword) {
        int at = t.indexOf(keyword);
        if (at < 0 || at + 1 >= t.size()) {
            throw new SaFileException(file, number, "malformed " + t.get(0) + " line: no " + keyword);
        }
        return t.get(at + 1);
    }

    /** The unsigned 32-bit decimal at {@code t[at]} (a trailing comma dropped), as {@code what}. */
    static long unsigned(Path file, int number, List<String> t, int at, String what) {
        String text = at >= 0 && at < t.size() ? t.get(at) : "";
        if (text.endsWith(",")) {
            text = text.substring(0, text.length() - 1);
        }
        try {
            long v = Long.parseLong(text);
            if (v >= 0 && v <= 0xFFFF_FFFFL) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new SaFileException(file, number, "malformed line: " + what + " needs an unsigned number"
                + (text.isEmpty() ? "" : ", found '" + KeyText.shown(text) + "'"));
    }

    /** The 32-bit hex value after {@code keyword} ({@code 0x1d,}), as iproute2 prints the replay state. */
    static long hex32(Path file, int number, List<String> t, String keyword) {
        String text = value(file, number, t, keyword);
        if (text.endsWith(",")) {
            text = text.substring(0, text.length() - 1);
        }
        byte[] bytes = KeyText.hexKey(text);
        if (bytes == null || bytes.length == 0 || bytes.length > 4) {
            throw new SaFileException(file, number, "malformed line: " + keyword + " needs a 32-bit hex number, found '"
                    + KeyText.shown(text) + "'");
        }
        return Long.parseLong(text.substring(2), 16);
    }
}
