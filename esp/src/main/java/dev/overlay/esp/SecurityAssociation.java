package dev.overlay.esp;

import dev.overlay.esp.transform.EspTransform;
import dev.overlay.esp.transform.IvSource;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One SA as configured (RFC 4301 section 4.4.2's SAD entry): immutable, validated here, with
 * keys that {@link #toString()} never shows. Runtime state lives in {@link InboundSaState} and
 * {@link OutboundSaState}, as xfrm splits {@code lft} from {@code curlft}.
 *
 * <p>{@code key} is key then salt, as ip-xfrm and Wireshark write it. The accessors return
 * copies; {@link #wipe()} zeroes this record's copies when the config holding it is dropped.
 *
 * @param tenants opaque to ESP: the integrator's tenant binding
 * @param peer    opaque to ESP: the integrator's peer name, may be {@code null}
 */
public record SecurityAssociation(
        int spi,
        Direction direction,
        EspAlgorithm algorithm,
        int icvLength,
        byte[] key,
        IntegrityAlgorithm integrity,
        byte[] integrityKey,
        Mode mode,
        boolean esn,
        long initialSequence,
        int replayWindow,
        Lifetime lifetime,
        List<String> tenants,
        String peer) {

    /** Largest replay window accepted, in packets (the bitmap is replayWindow/8 bytes). */
    public static final int MAX_REPLAY_WINDOW = 65536;
    public static final int DEFAULT_REPLAY_WINDOW = 1024;

    public enum Direction { IN, OUT }

    /**
     * RFC 4303 2.1: SPIs 1..255 are reserved by IANA and 0 for local use ("MUST NOT be sent on
     * the wire"). Config validation refuses 0 and warns about 1..255, which peers use anyway.
     */
    public static boolean reservedSpi(int spi) {
        return Integer.compareUnsigned(spi, 255) <= 0;
    }

    public enum Mode { TRANSPORT, TUNNEL }

    /** Hard limits; 0 means unlimited. */
    public record Lifetime(long packets, long bytes, long seconds) {
        public static final Lifetime UNLIMITED = new Lifetime(0, 0, 0);

        public Lifetime {
            checkNotNegative(packets, "packets");
            checkNotNegative(bytes, "bytes");
            checkNotNegative(seconds, "seconds");
        }
    }

    public SecurityAssociation {
        // Reserved SPIs (reservedSpi) are accepted here: published test vectors use them, 0
        // included, and the esp module's own tests open them all. Config validation refuses 0.
        Objects.requireNonNull(direction, "direction");
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(lifetime, "lifetime");
        key = Objects.requireNonNull(key, "key").clone();
        if (key.length != algorithm.keyMaterialLength()) {
            throw new IllegalArgumentException("key: " + key.length + " bytes (expected: "
                    + algorithm.keyMaterialLength() + " for " + algorithm + ", key then salt)");
        }
        if (algorithm.combined()) {
            if (!algorithm.icvLengths().contains(icvLength)) {
                throw new IllegalArgumentException("icvLength: " + icvLength + " (expected: one of "
                        + algorithm.icvLengths() + " for " + algorithm + ")");
            }
            if (integrity != null) {
                throw new IllegalArgumentException("integrity: " + integrity + " (expected: none with " + algorithm + ")");
            }
        } else {
            int expected = integrity == null ? 0 : integrity.icvLength();
            if (icvLength != expected) {
                throw new IllegalArgumentException("icvLength: " + icvLength + " (expected: " + expected + ")");
            }
        }
        if (integrity == null) {
            if (integrityKey != null && integrityKey.length != 0) {
                throw new IllegalArgumentException("integrityKey: " + integrityKey.length + " bytes (expected: none without integrity)");
            }
            integrityKey = null;
        } else {
            integrityKey = Objects.requireNonNull(integrityKey, "integrityKey").clone();
            // HMAC takes any key (RFC 2104 3) and an opening SA takes what the sender chose; an
            // empty one would authenticate nothing.
            if (integrityKey.length == 0) {
                throw new IllegalArgumentException("integrityKey: 0 bytes (expected: at least 1 for " + integrity + ")");
            }
        }
        if (direction == Direction.OUT) {
            checkSendable(algorithm, integrity, integrityKey);
        }
        if (!esn && Long.compareUnsigned(initialSequence, 0xFFFF_FFFFL) > 0) {
            throw new IllegalArgumentException("initialSequence: " + Long.toUnsignedString(initialSequence)
                    + " (expected: <= 4294967295 without esn)");
        }
        if (replayWindow < 0 || replayWindow > MAX_REPLAY_WINDOW) {
            throw new IllegalArgumentException("replayWindow: " + replayWindow + " (expected: 0.." + MAX_REPLAY_WINDOW + ")");
        }
        tenants = List.copyOf(Objects.requireNonNull(tenants, "tenants"));
    }

    /** A copy of the cipher key, without the salt. */
    public byte[] cipherKey() {
        return Arrays.copyOf(key, algorithm.keyLength());
    }

    /** A copy of the salt that follows the cipher key. */
    public byte[] salt() {
        return Arrays.copyOfRange(key, algorithm.keyLength(), key.length);
    }

    /** A copy of the key material: key then salt. */
    @Override
    public byte[] key() {
        return key.clone();
    }

    /** A copy of the integrity key, or {@code null}. */
    @Override
    public byte[] integrityKey() {
        return integrityKey == null ? null : integrityKey.clone();
    }

    /**
     * A new transform of this SA (for {@link InboundSaState} and {@link OutboundSaState}), made
     * from copies of the keys that are wiped once the transform holds its own.
     */
    EspTransform newTransform(IvSource ivSource) {
        byte[] k = key();
        byte[] ik = integrityKey();
        try {
            return EspTransform.create(algorithm, k, icvLength, integrity, ik, ivSource);
        } finally {
            SaDatabase.wipe(k, ik);
        }
    }

    /** Zeroes this record's key copies; states already made from it keep (and wipe) their own. */
    public void wipe() {
        Arrays.fill(key, (byte) 0);
        if (integrityKey != null) {
            Arrays.fill(integrityKey, (byte) 0);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SecurityAssociation s && spi == s.spi && direction == s.direction
                && algorithm == s.algorithm && icvLength == s.icvLength && integrity == s.integrity
                && MessageDigest.isEqual(key, s.key)
                && MessageDigest.isEqual(integrityKey, s.integrityKey)
                && mode == s.mode && esn == s.esn && initialSequence == s.initialSequence
                && replayWindow == s.replayWindow && lifetime.equals(s.lifetime)
                && tenants.equals(s.tenants) && Objects.equals(peer, s.peer);
    }

    @Override
    public int hashCode() {
        // Keys stay out of the hash: a hash is a (weak) function of its input, and it is printed by some tools.
        return Objects.hash(spi, direction, algorithm, icvLength, integrity, mode, esn, initialSequence,
                replayWindow, lifetime, tenants, peer);
    }

    /** Never shows key bytes, only their lengths (as {@code check} prints SAs without keys). */
    @Override
    public String toString() {
        return "SecurityAssociation(spi: 0x" + String.format("%08x", spi) + ", " + direction + ", " + algorithm
                + ", icv: " + icvLength + ", key: <" + key.length + " bytes hidden>"
                + (integrity == null ? "" : ", integrity: " + integrity + ", integrityKey: <hidden>")
                + ", " + mode + ", esn: " + esn + ", initialSequence: " + Long.toUnsignedString(initialSequence)
                + ", replayWindow: " + replayWindow + ", " + lifetime + ", tenants: " + tenants + ", peer: " + peer + ')';
    }

    /**
     * Strict in what we send: only the contract's transforms, with integrity where RFC 4303
     * section 3.2 needs it and an RFC 4868 key (as long as the hash output, section 2.1.1). An
     * inbound SA may be anything that opens (see {@link EspAlgorithm#sendable()}).
     */
    private static void checkSendable(EspAlgorithm algorithm, IntegrityAlgorithm integrity, byte[] integrityKey) {
        if (!algorithm.sendable()) {
            throw new IllegalArgumentException("algorithm: " + algorithm + " (expected: a sendable one for an out SA)");
        }
        if (integrity == null && algorithm.requiresIntegrity()) {
            throw new IllegalArgumentException("integrity: none (expected: an HMAC with " + algorithm + ")");
        }
        if (integrity != null && !integrity.sendable()) {
            throw new IllegalArgumentException("integrity: " + integrity + " (expected: a sendable one for an out SA)");
        }
        if (integrity != null && integrityKey.length != integrity.keyLength()) {
            throw new IllegalArgumentException("integrityKey: " + integrityKey.length + " bytes (expected: "
                    + integrity.keyLength() + " for " + integrity + " in an out SA)");
        }
    }

    private static void checkNotNegative(long v, String name) {
        if (v < 0) {
            throw new IllegalArgumentException(name + ": " + v + " (expected: >= 0)");
        }
    }
}
