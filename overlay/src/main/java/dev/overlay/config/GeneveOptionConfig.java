package dev.overlay.config;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * A Geneve option TLV added to every packet of a tenant (RFC 8926 section 3.5).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Option Class         |      Type     |R|R|R| Length  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 Variable-Length Option Data                   |
 * </pre>
 *
 * Length counts 4-byte words of data in 5 bits, so data is a multiple of 4 bytes, at most 124.
 *
 * @param data option data; copied in and out
 */
public record GeneveOptionConfig(int optionClass, int type, byte[] data) {

    /** RFC 8926 3.5: 5-bit length in 4-byte multiples. */
    public static final int MAX_DATA_LENGTH = 124;
    /** RFC 8926 3.4: the 6-bit Opt Len of the base header, in 4-byte multiples. */
    public static final int MAX_OPTIONS_LENGTH = 252;

    public GeneveOptionConfig {
        if (optionClass < 0 || optionClass > 0xFFFF) {
            throw new IllegalArgumentException("optionClass: " + optionClass + " (expected: 0..0xffff)");
        }
        if (type < 0 || type > 0xFF) {
            throw new IllegalArgumentException("type: " + type + " (expected: 0..0xff)");
        }
        if (data.length % 4 != 0 || data.length > MAX_DATA_LENGTH) {
            throw new IllegalArgumentException("data: " + data.length
                    + " bytes (expected: a multiple of 4, at most 124)");
        }
        data = data.clone();
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    /** Bytes on the wire: the 4-byte option header plus the data. */
    public int length() {
        return 4 + data.length;
    }

    /** RFC 8926 3.5.1: the high bit of Type; a receiver that does not know the option MUST drop. */
    public boolean critical() {
        return (type & 0x80) != 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GeneveOptionConfig g && g.optionClass == optionClass && g.type == type
                && Arrays.equals(g.data, data);
    }

    @Override
    public int hashCode() {
        return (optionClass * 31 + type) * 31 + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return String.format("class 0x%04x type 0x%02x data 0x%s", optionClass, type,
                HexFormat.of().formatHex(data));
    }
}
