package dev.overlay.esp;

/**
 * What {@link EspDecrypt#open} learned besides the payload: reused per worker so opening a
 * packet allocates nothing.
 */
public final class EspResult {
    /** Next header of the ESP trailer (4 IPv4, 41 IPv6, 17 UDP, 59 dummy). */
    public int nextHeader = -1;
    /** The full 64-bit sequence number (with ESN, high half inferred per RFC 4303 Appendix A). */
    public long sequence;

    void clear() {
        nextHeader = -1;
        sequence = 0;
    }

    @Override
    public String toString() {
        return "EspResult(nextHeader: " + nextHeader + ", sequence: " + Long.toUnsignedString(sequence) + ')';
    }
}
