package dev.overlay.config;

import java.math.BigInteger;
import java.util.Objects;

/**
 * A tenant's {@code mss-clamp}: whether the MSS option of TCP SYNs and SYN-ACKs crossing its
 * overlay is lowered, and to what. {@code auto} fits the tenant MTU (IPv4: MTU - 40 for the
 * 20-byte IP and TCP headers; IPv6: MTU - 60, RFC 9293 section 3.7.1 and RFC 8200 section 8.3);
 * a number is the IPv4 MSS, and IPv6 gets 20 bytes less so that both make packets of one size.
 *
 * @param mss the IPv4 MSS of {@link Mode#FIXED}; 0 otherwise
 */
public record MssClampConfig(Mode mode, int mss) {
    /** The smallest MSS a number may ask for: the IPv4 default of RFC 9293 section 3.7.1. */
    public static final int MIN_MSS = 536;
    /** The largest: an IPv4 datagram of 65535 bytes less 40 bytes of headers. */
    public static final int MAX_MSS = 65495;

    public static final MssClampConfig OFF = new MssClampConfig(Mode.OFF, 0);
    public static final MssClampConfig AUTO = new MssClampConfig(Mode.AUTO, 0);

    public enum Mode { OFF, AUTO, FIXED }

    public MssClampConfig {
        Objects.requireNonNull(mode, "mode");
        if (mode == Mode.FIXED ? mss < MIN_MSS || mss > MAX_MSS : mss != 0) {
            throw new IllegalArgumentException("mss: " + mss + " (expected: " + (mode == Mode.FIXED
                    ? MIN_MSS + ".." + MAX_MSS : "0 unless fixed") + ")");
        }
    }

    /** {@code auto}, {@code off} or a number (decimal or 0x-hex), as written in a config. */
    public static MssClampConfig parse(String text) {
        switch (text) {
            case "auto" -> {
                return AUTO;
            }
            case "off" -> {
                return OFF;
            }
            default -> {
                BigInteger n;
                try {
                    n = Scalars.integer(text);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("mss-clamp '" + text + "' is not auto, off or a number"
                            + DidYouMean.suggest(text, java.util.List.of("auto", "off")));
                }
                if (n.compareTo(BigInteger.valueOf(MIN_MSS)) < 0 || n.compareTo(BigInteger.valueOf(MAX_MSS)) > 0) {
                    throw new IllegalArgumentException("mss-clamp " + n + " is out of range (expected "
                            + MIN_MSS + ".." + MAX_MSS + ")");
                }
                return new MssClampConfig(Mode.FIXED, n.intValue());
            }
        }
    }

    public boolean on() {
        return mode != Mode.OFF;
    }

    /** The IPv4 MSS to clamp to for a tenant of MTU {@code tenantMtu}; 0 for off. */
    public int ipv4(int tenantMtu) {
        return switch (mode) {
            case OFF -> 0;
            case AUTO -> tenantMtu - 40;
            case FIXED -> mss;
        };
    }

    /** The IPv6 MSS to clamp to for a tenant of MTU {@code tenantMtu}; 0 for off. */
    public int ipv6(int tenantMtu) {
        return switch (mode) {
            case OFF -> 0;
            case AUTO -> tenantMtu - 60;
            case FIXED -> mss - 20;
        };
    }

    /** As written in a config: {@code off}, {@code auto} or the number. */
    public String configName() {
        return mode == Mode.FIXED ? Integer.toString(mss) : mode.name().toLowerCase(java.util.Locale.ROOT);
    }
}
