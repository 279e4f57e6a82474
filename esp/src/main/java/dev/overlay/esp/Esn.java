package dev.overlay.esp;

/** Extended sequence numbers (RFC 4303 2.2.1): only the low 32 bits travel; the receiver infers the rest. */
final class Esn {
    private Esn() {
    }

    /**
     * RFC 4303 Appendix A2.2: the 64-bit number of a packet carrying {@code low}, given the
     * highest authenticated number {@code top} and the window {@code window}. With replay
     * checking off there is no window to anchor on; half the 32-bit space is used instead
     * (the nearest candidate wins).
     */
    static long infer(int low, long top, int window) {
        long w = window == 0 ? 1L << 31 : window;
        long tl = top & 0xFFFF_FFFFL;
        long th = top >>> 32;
        long sl = low & 0xFFFF_FFFFL;
        long sh;
        if (tl >= w - 1) {
            // Case A: the window lies within one 2^32 subspace.
            sh = sl >= tl - w + 1 ? th : th + 1;
        } else {
            // Case B: the window spans two subspaces; a large low half belongs to the previous one.
            sh = sl >= tl - w + 1 + (1L << 32) && th > 0 ? th - 1 : th;
        }
        return (sh << 32) | sl;
    }
}
