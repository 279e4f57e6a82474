package dev.overlay.vtep;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * One Geneve option TLV (RFC 8926 section 3.5). Holds its own copy of the data.
 *
 * @param optionClass the 16-bit namespace (IANA "Geneve Option Class")
 * @param type 8 bits; the high bit marks the option critical
 * @param data a multiple of 4 bytes, at most 124 (the 5-bit length field counts 4-byte words)
 */
public record GeneveOption(int optionClass, int type, byte[] data) {
    public static final int MAX_DATA_LENGTH = 124;
    public static final int CRITICAL = 0x80;

    public GeneveOption {
        Bounds.checkRange(optionClass, 0, 0xFFFF, "option class");
        Bounds.checkRange(type, 0, 0xFF, "option type");
        if (data == null) {
            throw new IllegalArgumentException("option data: null (expected: 0.." + MAX_DATA_LENGTH
                    + " bytes, a multiple of 4)");
        }
        if (data.length % 4 != 0 || data.length > MAX_DATA_LENGTH) {
            throw new IllegalArgumentException("option data: " + data.length
                    + " bytes (expected: 0.." + MAX_DATA_LENGTH + ", a multiple of 4)");
        }
        data = data.clone();
    }

    /** RFC 8926 3.5: a receiver that does not understand a critical option MUST drop the packet. */
    public boolean critical() {
        return (type & CRITICAL) != 0;
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    /** Header plus data. */
    public int encodedLength() {
        return 4 + data.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GeneveOption g && g.optionClass == optionClass && g.type == type
                && Arrays.equals(g.data, data);
    }

    @Override
    public int hashCode() {
        return (optionClass * 31 + type) * 31 + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return String.format("GeneveOption[class=0x%04x, type=0x%02x%s, data=%s]", optionClass, type,
                critical() ? " (critical)" : "", HexFormat.of().formatHex(data));
    }
}
