package dev.overlay.config;

import dev.overlay.esp.EspAlgorithm;
import dev.overlay.esp.IntegrityAlgorithm;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One entry of {@code security-associations}: an ESP SA as the config states it (RFC 4301
 * section 4.4.2.1), immutable; sequence numbers and replay state live beside it at run time.
 *
 * <p>Key bytes are copied in and out and never appear in {@link #toString()}: this record is
 * logged and printed by {@code check}, and a key in a log is a key disclosed.
 *
 * <p>Not {@link dev.overlay.esp.SecurityAssociation}, though the fields are the same: that record is
 * what ESP can run, and its checks are bugs' messages; this one is what a config may say (no SPI
 * 0, integrity only for cipher transforms, no replay window on an out SA), in the
 * file's own words ({@code configName()}) for {@code check} and the error sentences. SaTable makes
 * the one from the other.
 *
 * @param spi 1..0xffffffff (RFC 4303 section 2.1: 0 is for local use and never sent; 1..255 are
 *     reserved for IANA but used by peers, so accepted with a warning)
 * @param tenants the tenants (by name) whose VNIs this SA may carry
 * @param icvLength ICV bytes in each packet: the chosen length for combined-mode algorithms,
 *     the integrity algorithm's truncated ICV otherwise, 0 for {@code null} without integrity
 * @param key the {@code key} value: cipher key then salt ({@link EspAlgorithm#keyMaterialLength()})
 * @param integrity the separate integrity algorithm, or {@code null}
 * @param integrityKey its key, or {@code null} exactly when {@code integrity} is
 * @param initialSequence unsigned; out: the first packet carries this + 1; in: the highest
 *     sequence number already seen. 32-bit unless {@code esn}
 * @param replayWindow packets; inbound only (0 for outbound); 0 turns replay checking off
 */
public record SaConfig(
        long spi,
        Direction direction,
        String peer,
        List<String> tenants,
        EspAlgorithm algorithm,
        int icvLength,
        byte[] key,
        IntegrityAlgorithm integrity,
        byte[] integrityKey,
        Mode mode,
        boolean esn,
        long initialSequence,
        int replayWindow,
        Lifetime lifetime) {

    /** RFC 4303 section 2.1: 0 is never sent on the wire. */
    public static final long MIN_SPI = 1;
    /** The first SPI outside the range 1..255 that RFC 4303 section 2.1 reserves for IANA. */
    public static final long UNRESERVED_SPI = 256;
    public static final long MAX_SPI = 0xFFFF_FFFFL;
    public static final int DEFAULT_REPLAY_WINDOW = 1024;

    /** Why SPI 0 is refused, wherever SPIs are read (the config, SA files of the pcap tools). */
    public static final String SPI_ZERO_REASON = "RFC 4303 section 2.1 keeps it for local, "
            + "implementation-specific use and it must not be sent on the wire";
    public static final int MAX_REPLAY_WINDOW = 65536;

    public enum Direction {
        /** Peer to this gateway. */
        IN,
        /** This gateway to the peer. */
        OUT;

        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** RFC 4301 section 4.1. */
    public enum Mode {
        TRANSPORT, TUNNEL;

        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Hard limits (RFC 4301 section 4.4.2.1 "SA Lifetime"); 0 = unlimited. */
    public record Lifetime(long packets, long bytes, long seconds) {
        public static final Lifetime UNLIMITED = new Lifetime(0, 0, 0);

        public Lifetime {
            if (packets < 0 || bytes < 0 || seconds < 0) {
                throw new IllegalArgumentException("lifetime: " + packets + "/" + bytes + "/" + seconds
                        + " (expected: >= 0)");
            }
        }

        public boolean unlimited() {
            return packets == 0 && bytes == 0 && seconds == 0;
        }
    }

    public SaConfig {
        if (spi < MIN_SPI || spi > MAX_SPI) {
            throw new IllegalArgumentException("spi: " + spi + " (expected: 1..0xffffffff)");
        }
        Objects.requireNonNull(direction, "direction");
        Objects.requireNonNull(peer, "peer");
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(lifetime, "lifetime");
        tenants = List.copyOf(tenants);
        if (key.length != algorithm.keyMaterialLength()) {
            throw new IllegalArgumentException("key: " + key.length + " bytes (expected: "
                    + algorithm.keyMaterialLength() + " for " + algorithm + ")");
        }
        key = key.clone();
        if ((integrity == null) != (integrityKey == null)) {
            throw new IllegalArgumentException("integrityKey: expected exactly when integrity is set");
        }
        if (integrity != null) {
            if (algorithm.combined()) {
                throw new IllegalArgumentException("integrity: " + integrity + " with combined-mode " + algorithm);
            }
            // Any length opens (HMAC takes any key, RFC 2104 section 3); sendable() says what may send.
            if (integrityKey.length == 0) {
                throw new IllegalArgumentException("integrityKey: 0 bytes (expected: at least 1)");
            }
            integrityKey = integrityKey.clone();
        }
        int expectedIcv = integrity != null ? integrity.icvLength() : 0;
        if (algorithm.combined() ? !algorithm.icvLengths().contains(icvLength) : icvLength != expectedIcv) {
            throw new IllegalArgumentException("icvLength: " + icvLength + " (expected: "
                    + (algorithm.combined() ? algorithm.icvLengths() : expectedIcv) + ")");
        }
        if (!esn && Long.compareUnsigned(initialSequence, 0xFFFF_FFFFL) > 0) {
            throw new IllegalArgumentException("initialSequence: " + Long.toUnsignedString(initialSequence)
                    + " (expected: <= 0xffffffff without esn)");
        }
        if (direction == Direction.OUT ? replayWindow != 0 : replayWindow < 0 || replayWindow > MAX_REPLAY_WINDOW) {
            throw new IllegalArgumentException("replayWindow: " + replayWindow
                    + (direction == Direction.OUT ? " (expected: 0 for out)" : " (expected: 0..65536)"));
        }
    }

    /** The warning for an SPI of 1..255, wherever SPIs are read. */
    public static String reservedSpiWarning(long spi) {
        return String.format("spi %d (0x%x) is in 1..255, reserved for IANA (RFC 4303 section 2.1); accepted, "
                + "since peers use such SPIs, but choose 256 (0x100) or more for SAs you make", spi, spi);
    }

    /** The {@code key} value (key then salt); a copy. */
    @Override
    public byte[] key() {
        return key.clone();
    }

    /** The cipher key without the salt; a copy. */
    public byte[] cipherKey() {
        return Arrays.copyOf(key, algorithm.keyLength());
    }

    /** The salt that follows the cipher key; a copy, empty for CBC and null. */
    public byte[] salt() {
        return Arrays.copyOfRange(key, algorithm.keyLength(), key.length);
    }

    /** The integrity key; a copy, or {@code null} without integrity. */
    @Override
    public byte[] integrityKey() {
        return integrityKey == null ? null : integrityKey.clone();
    }

    /**
     * True when this SA may send (strict in what we send): a contract transform, integrity where
     * RFC 4303 section 3.2 needs it, and an RFC 4868 key (as long as the hash output, section
     * 2.1.1). Every SA record opens; one that is not sendable is valid only for the commands that
     * read ({@link Purpose#READING}), as {@code ip xfrm} and Wireshark take such SAs.
     */
    public boolean sendable() {
        if (!algorithm.sendable()) {
            return false;
        }
        return integrity == null ? !algorithm.requiresIntegrity()
                : integrity.sendable() && integrityKey.length == integrity.keyLength();
    }

    /** True for {@code null} without integrity: ESP with no protection at all. */
    public boolean unprotected() {
        return algorithm == EspAlgorithm.NULL && integrity == null;
    }

    /** The SPI as {@code check}, ip-xfrm and Wireshark print it: {@code 0x00001001}. */
    public String spiHex() {
        return String.format("0x%08x", spi);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SaConfig s && s.spi == spi && s.direction == direction && s.peer.equals(peer)
                && s.tenants.equals(tenants) && s.algorithm == algorithm && s.icvLength == icvLength
                && Arrays.equals(s.key, key) && s.integrity == integrity
                && Arrays.equals(s.integrityKey, integrityKey) && s.mode == mode && s.esn == esn
                && s.initialSequence == initialSequence && s.replayWindow == replayWindow
                && s.lifetime.equals(lifetime);
    }

    @Override
    public int hashCode() {
        return Objects.hash(spi, direction, peer, tenants, algorithm, icvLength, Arrays.hashCode(key),
                integrity, Arrays.hashCode(integrityKey), mode, esn, initialSequence, replayWindow, lifetime);
    }

    /** Everything but the keys, whose lengths alone are shown. */
    @Override
    public String toString() {
        return "SaConfig[spi=" + spiHex() + ", direction=" + direction.configName() + ", peer=" + peer
                + ", tenants=" + tenants + ", algorithm=" + algorithm + ", icvLength=" + icvLength
                + ", key=<" + key.length + " bytes>, integrity=" + integrity
                + (integrityKey == null ? "" : ", integrityKey=<" + integrityKey.length + " bytes>")
                + ", mode=" + mode.configName() + ", esn=" + esn
                + ", initialSequence=" + Long.toUnsignedString(initialSequence)
                + ", replayWindow=" + replayWindow + ", lifetime=" + lifetime + "]";
    }
}
