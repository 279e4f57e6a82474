package dev.overlay.esp;

/**
 * Why an ESP packet was not sealed or opened: a closed set, each counted per SA and per stage
 * (VPP's {@code esp_decrypt_error_t}, xfrm's {@code LINUX_MIB_XFRMIN*} counters). Per-packet
 * errors are values of this enum, never exceptions.
 */
public enum EspDrop {
    UNKNOWN_SPI("unknown-spi", "no inbound SA has the packet's SPI"),
    REPLAY("replay", "sequence number already seen or left of the replay window (RFC 4303 3.4.3)"),
    INTEGRITY("integrity", "ICV did not verify (RFC 4303 3.4.4)"),
    BAD_PADDING("bad-padding", "pad length too large or pad bytes not 1, 2, 3, ... (RFC 4303 2.4)"),
    TRUNCATED("truncated", "packet shorter than ESP header, IV, trailer and ICV"),
    BAD_LENGTH("bad-length", "ciphertext not a multiple of the cipher block size (RFC 4303 2.4)"),
    DUMMY("dummy", "dummy packet, next header 59, discarded (RFC 4303 2.6)"),
    SEQUENCE_EXHAUSTED("sequence-exhausted", "outbound sequence number space used up; the SA must be replaced (RFC 4303 3.3.3)"),
    SEQUENCE_RESERVE("sequence-reserve", "outbound sequence numbers past the persisted reservation (state-dir) not yet extended; dropped rather than risk reuse after a restart"),
    LIFETIME_EXPIRED("lifetime", "SA past its hard packet, byte or time lifetime"),
    SA_CLOSED("sa-closed", "SA removed and its keys wiped"),
    TENANT_MISMATCH("tenant-mismatch", "VNI of the decrypted packet not among the SA's tenants");

    private static final EspDrop[] VALUES = values();

    private final String label;
    private final String description;

    EspDrop(String label, String description) {
        this.label = label;
        this.description = description;
    }

    /** The kebab-case name used in metrics, {@code inspect} tables and summary lines. */
    public String label() {
        return label;
    }

    /** One line for humans. */
    public String description() {
        return description;
    }

    /** The reason of a label, or {@code null}. */
    public static EspDrop of(String label) {
        for (EspDrop d : VALUES) {
            if (d.label.equals(label)) {
                return d;
            }
        }
        return null;
    }

    static EspDrop at(int ordinal) {
        return VALUES[ordinal];
    }

    static int count() {
        return VALUES.length;
    }
}
