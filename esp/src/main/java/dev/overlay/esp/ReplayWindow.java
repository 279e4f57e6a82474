package dev.overlay.esp;

import java.util.Arrays;

/**
 * The anti-replay window of RFC 4303 3.4.3, as a bitmap that slides in O(1) per packet
 * (RFC 6479): a ring of 64-bit words indexed by {@code sequence >>> 6}; moving the top past a
 * word boundary clears whole words instead of shifting bits. The ring holds at least
 * {@code size + 64} bits, so a word is reused only once every number in it is left of the
 * window. Sequence numbers are unsigned 64-bit (ESN) or zero-extended 32-bit.
 *
 * <p>{@link #check} is called before the ICV is verified and {@link #advance} after: see
 * {@link EspDecrypt} for why. Single-writer (the SA's owner worker).
 */
final class ReplayWindow {
    /** Packets accepted left of the top; 0 turns checking off (the top is still tracked, for ESN). */
    private final int size;
    private final long[] ring;
    private final int mask;
    /** The highest sequence number authenticated so far. */
    private long top;

    ReplayWindow(int size, long initialTop) {
        if (size < 0) {
            throw new IllegalArgumentException("size: " + size + " (expected: >= 0)");
        }
        this.size = size;
        int needed = ((size + 63) >>> 6) + 1;
        int words = Integer.highestOneBit(needed);
        this.ring = new long[words < needed ? words << 1 : words];
        this.mask = ring.length - 1;
        this.top = initialTop;
        // RFC 4303 A: "the highest number already seen" is itself seen.
        set(initialTop);
    }

    int size() {
        return size;
    }

    long top() {
        return top;
    }

    /** True when {@code sequence} may be new: right of the top, or in the window and unseen. */
    boolean check(long sequence) {
        if (sequence == 0) {
            // Never sent: the first packet of an SA carries 1 (RFC 4303 2.2).
            return false;
        }
        if (size == 0 || Long.compareUnsigned(sequence, top) > 0) {
            return true;
        }
        long behind = top - sequence;
        if (Long.compareUnsigned(behind, size) >= 0) {
            return false;
        }
        return (ring[word(sequence)] & bit(sequence)) == 0;
    }

    /** Records an authenticated {@code sequence}, sliding the window when it is the new top. */
    void advance(long sequence) {
        if (Long.compareUnsigned(sequence, top) > 0) {
            long from = top >>> 6;
            long to = sequence >>> 6;
            long words = to - from;
            if (Long.compareUnsigned(words, ring.length) >= 0) {
                Arrays.fill(ring, 0L);
            } else {
                for (long w = from + 1; w <= to; w++) {
                    ring[(int) (w & mask)] = 0L;
                }
            }
            top = sequence;
        }
        set(sequence);
    }

    private void set(long sequence) {
        ring[word(sequence)] |= bit(sequence);
    }

    private int word(long sequence) {
        return (int) ((sequence >>> 6) & mask);
    }

    private static long bit(long sequence) {
        return 1L << (sequence & 63);
    }

    @Override
    public String toString() {
        return "ReplayWindow(size: " + size + ", top: " + Long.toUnsignedString(top) + ')';
    }
}
