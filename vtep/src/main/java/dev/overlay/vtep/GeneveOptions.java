package dev.overlay.vtep;

import io.netty.buffer.ByteBuf;
import java.util.List;

/**
 * An immutable, pre-encoded Geneve option block: built once from configuration, then copied
 * into every packet with one bulk write. Knows whether any option is critical, which sets the
 * header's C bit (RFC 8926 section 3.4).
 */
public final class GeneveOptions {
    /** The 6-bit Opt Len field counts 4-byte words. */
    public static final int MAX_LENGTH = 63 * 4;
    public static final GeneveOptions NONE = new GeneveOptions(List.of());

    private final List<GeneveOption> options;
    private final byte[] encoded;
    private final boolean critical;

    private GeneveOptions(List<GeneveOption> options) {
        this.options = List.copyOf(options);
        int length = 0;
        boolean anyCritical = false;
        for (GeneveOption o : this.options) {
            length += o.encodedLength();
            anyCritical |= o.critical();
        }
        if (length > MAX_LENGTH) {
            throw new IllegalArgumentException(
                    "geneve options: " + length + " bytes (expected: <= " + MAX_LENGTH + ")");
        }
        byte[] b = new byte[length];
        int at = 0;
        for (GeneveOption o : this.options) {
            byte[] data = o.data();
            b[at] = (byte) (o.optionClass() >>> 8);
            b[at + 1] = (byte) o.optionClass();
            b[at + 2] = (byte) o.type();
            b[at + 3] = (byte) (data.length / 4); // the three R bits stay zero
            System.arraycopy(data, 0, b, at + 4, data.length);
            at += 4 + data.length;
        }
        this.encoded = b;
        this.critical = anyCritical;
    }

    public static GeneveOptions of(List<GeneveOption> options) {
        return options.isEmpty() ? NONE : new GeneveOptions(options);
    }

    public List<GeneveOption> options() {
        return options;
    }

    /** Encoded length in bytes, a multiple of 4. */
    public int length() {
        return encoded.length;
    }

    public boolean critical() {
        return critical;
    }

    /** A copy of the encoded block. */
    public byte[] encoded() {
        return encoded.clone();
    }

    void writeTo(ByteBuf buf, int index) {
        buf.setBytes(index, encoded);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GeneveOptions g && g.options.equals(options);
    }

    @Override
    public int hashCode() {
        return options.hashCode();
    }

    @Override
    public String toString() {
        return "GeneveOptions" + options;
    }
}
