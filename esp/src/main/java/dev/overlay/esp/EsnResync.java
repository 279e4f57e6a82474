package dev.overlay.esp;

import io.netty.buffer.ByteBuf;

/**
 * The high half of an ESN packet's sequence number when nothing anchors it yet: the first packets
 * of a capture of a long-lived SA, opened with keys from a dump of its state (an
 * {@code ip xfrm state} dump prints the replay state's {@code seq-hi}/{@code seq}, and
 * {@code oseq-hi}/{@code oseq} for the sender; the reference is the larger).
 *
 * <p>Why not simply start the window at the dump's number: the dump is usually taken after the
 * capture, so every captured packet would be behind the window and dropped as a replay, and the
 * SA may have crossed a 2^32 boundary between capture and dump. Why not start from zero, as
 * RFC 4303 Appendix A does for a new SA: past 2^32 packets every packet then fails its ICV.
 * So, as a receiver that has lost synchronisation does (RFC 4303 A.3: try the next high-order
 * values, keeping the one whose ICV verifies), each packet is tried with at most
 * {@link #MAX_CANDIDATES} high halves until one verifies: the one that puts it at or just before
 * the reference (a capture taken before the dump, within 2^32 packets), the next one (a capture
 * taken after the dump), the previous one (more than 2^32 packets before it), and zero (the SA's
 * first 2^32 packets, what a start from zero would give). The first that verifies anchors the
 * window; from then on Appendix A infers from the window's top, as for every SA.
 *
 * <p>Security: each extra trial is one more chance for a forged packet to pass the ICV
 * (2^-64 or less for the ICVs overlay opens), so at most four, and only until one verifies;
 * the window never moves on a number that did not verify. Only the offline tools' SAs from
 * {@code --sa-file} resynchronise; the gateway's SAs never do.
 */
final class EsnResync {
    /** High halves tried per packet at most. */
    static final int MAX_CANDIDATES = 4;
    private static final long MASK = 0xFFFF_FFFFL;

    private EsnResync() {
    }

    /**
     * The high halves to try for a packet carrying {@code low}, most likely first, into
     * {@code highs}; returns how many (duplicates and values outside 32 bits left out).
     */
    static int candidates(long reference, int low, long[] highs) {
        long rh = reference >>> 32;
        long h0 = (low & MASK) <= (reference & MASK) ? rh : rh - 1;
        int n = 0;
        for (long h : new long[] {h0, h0 + 1, h0 - 1, 0}) {
            if (h < 0 || h > MASK) {
                continue;
            }
            boolean seen = false;
            for (int i = 0; i < n; i++) {
                seen |= highs[i] == h;
            }
            if (!seen) {
                highs[n++] = h;
            }
        }
        return n;
    }

    /**
     * Tries {@code sa}'s candidates on the ESP packet {@code [start, end + icv)} of {@code buf}: on
     * the first whose ICV verifies the packet is left opened (as {@code EspTransform.open} leaves
     * it) and its 64-bit number returned; when none does, the packet is restored as it came and
     * 0 (never a valid number) is returned. The replay window is checked, not moved.
     */
    static long open(InboundSaState sa, ByteBuf buf, int start, int end, int low) {
        int length = buf.writerIndex() - start;
        if (sa.trial == null || sa.trial.length < length) {
            sa.trial = new byte[Math.max(length, 2048)];
        }
        buf.getBytes(start, sa.trial, 0, length);
        long[] highs = new long[MAX_CANDIDATES];
        int n = candidates(sa.resyncReference, low, highs);
        for (int i = 0; i < n; i++) {
            long sequence = (highs[i] << 32) | (low & MASK);
            if (!sa.replay.check(sequence)) {
                continue;
            }
            if (sa.transform.open(buf, start, end, sequence, true)) {
                return sequence;
            }
            // A failed trial may have changed the bytes (CCM decrypts before it verifies).
            buf.setBytes(start, sa.trial, 0, length);
        }
        return 0;
    }
}
