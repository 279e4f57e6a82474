package dev.overlay.steering;

/**
 * The hashes that steering keys on, and the one function that maps a hash onto {@code count}
 * choices (workers, or the per-resource SAs of one peer and tenant).
 *
 * <p>The caller extracts the key (the SPI, or the outer 4-tuple) so this module never parses
 * packets. Keys are mixed before use because real SPIs and addresses are often sequential
 * (0x1001, 0x1002, ...) and would otherwise fall into neighbouring buckets.
 */
public final class SteeringHash {
    private SteeringHash() {}

    /** The outer 4-tuple hash of the {@code flow} policy, for IPv4 addresses. */
    public static int ipv4(int sourceAddress, int destinationAddress, int sourcePort, int destinationPort) {
        long h = mix64(((long) sourceAddress << 32) ^ (destinationAddress & 0xFFFF_FFFFL));
        return (int) mix64(h ^ ((long) (sourcePort & 0xFFFF) << 16 | (destinationPort & 0xFFFF)));
    }

    /** The outer 4-tuple hash of the {@code flow} policy, for IPv6 addresses given as two longs each. */
    public static int ipv6(long sourceHigh, long sourceLow, long destinationHigh, long destinationLow,
                           int sourcePort, int destinationPort) {
        long h = mix64(sourceHigh);
        h = mix64(h ^ sourceLow);
        h = mix64(h ^ destinationHigh);
        h = mix64(h ^ destinationLow);
        return (int) mix64(h ^ ((long) (sourcePort & 0xFFFF) << 16 | (destinationPort & 0xFFFF)));
    }

    /** A well-spread 32-bit hash of {@code key} (MurmurHash3's fmix32 finaliser). */
    public static int mix(int key) {
        int h = key;
        h ^= h >>> 16;
        h *= 0x85EB_CA6B;
        h ^= h >>> 13;
        h *= 0xC2B2_AE35;
        h ^= h >>> 16;
        return h;
    }

    /**
     * The choice in {@code [0, count)} for {@code flowHash}: the same flow always gets the same
     * choice for a given {@code count}, choices are uniform, and when {@code count} grows from
     * n to n+1 only 1/(n+1) of the flows move (jump consistent hash, Lamping and Veach 2014).
     * That last property matters for per-resource SAs (RFC 9611): adding an SA to a tunnel
     * re-pins few inner flows, and each re-pinned flow is a chance of reordering.
     *
     * @throws IllegalArgumentException if {@code count < 1}
     */
    public static int pick(int flowHash, int count) {
        if (count < 1) {
            throw new IllegalArgumentException("count: " + count + " (expected: > 0)");
        }
        long key = mix64(flowHash);
        long chosen = 0;
        long next = 0;
        while (next < count) {
            chosen = next;
            key = key * 2862933555777941757L + 1;
            next = (long) ((chosen + 1) * ((double) (1L << 31) / (double) ((key >>> 33) + 1)));
        }
        return (int) chosen;
    }

    /** SplitMix64's finaliser: every input bit affects every output bit. */
    static long mix64(long key) {
        long z = key;
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }
}
