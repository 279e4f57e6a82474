package dev.overlay.vtep;

/**
 * Why a received packet was not accepted by the wire-format layer: a closed set, each with a
 * kebab-case label for summary lines and counters and a one-line description (in the manner of
 * VPP's {@code vxlan_error.def}). Parsers return these; they never throw for a bad packet.
 */
public enum VtepDrop {
    TRUNCATED("packets shorter than their headers or length fields say"),
    NOT_IP("frames whose ethertype is neither IPv4 nor IPv6"),
    BAD_IPV4_HEADER("IPv4 packets with a bad version or header length"),
    BAD_IPV4_CHECKSUM("IPv4 packets with a bad header checksum"),
    BAD_IPV6_HEADER("IPv6 packets with a bad version field"),
    BAD_IP_LENGTH("IP packets whose total or payload length is inconsistent"),
    FRAGMENT("IP fragments (the overlay never fragments, RFC 7348 section 4.3)"),
    BAD_IPV6_EXTENSION("IPv6 packets with a malformed or misplaced extension header"),
    BAD_UDP_LENGTH("UDP datagrams whose length field is below 8 or beyond the IP payload"),
    BAD_UDP_CHECKSUM("UDP datagrams with a bad checksum"),
    UDP_ZERO_CHECKSUM("UDP over IPv6 with a zero checksum (RFC 6936 section 5)"),
    VXLAN_NO_I_FLAG("VXLAN headers without the I flag (RFC 7348 section 5)"),
    GENEVE_BAD_VERSION("Geneve headers with a version other than 0 (RFC 8926 section 3.4)"),
    GENEVE_BAD_OPTION_LENGTH("Geneve headers whose option lengths run past the header or packet"),
    GENEVE_BAD_PROTOCOL("Geneve packets not carrying Ethernet (protocol type 0x6558)"),
    GENEVE_CRITICAL_OPTION("Geneve packets with an unknown critical option (RFC 8926 section 3.5)"),
    GENEVE_CONTROL("Geneve control packets (O bit): for the tunnel endpoint, never a tenant (RFC 8926 section 3.4)");

    private final String label;
    private final String description;

    VtepDrop(String description) {
        this.label = name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        this.description = description;
    }

    /** The kebab-case name used in counters and summary lines, e.g. {@code vxlan-no-i-flag}. */
    public String label() {
        return label;
    }

    public String description() {
        return description;
    }

    /** The constant whose {@link #label()} is {@code label}, or null. */
    public static VtepDrop ofLabel(String label) {
        for (VtepDrop d : values()) {
            if (d.label.equals(label)) {
                return d;
            }
        }
        return null;
    }
}
