package dev.overlay.esp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An ESN SA opened from a dump of its state: the capture's packets lie somewhere past 2^32, the
 * dump's replay state ({@code seq-hi}, {@code seq}) was read before, during or after the capture,
 * and the first packet that verifies with one of the few high halves tried anchors the window.
 */
class EsnResyncTest {
    /** The capture: 6 packets whose numbers cross from high half 4 into 5. */
    private static final long FIRST = (5L << 32) - 3;

    private static List<byte[]> capture(EspAlgorithm algorithm, IntegrityAlgorithm integrity) {
        int icv = algorithm.combined() ? 16 : integrity.icvLength();
        SecurityAssociation out = EspTestSupport.sa(0x4001, SecurityAssociation.Direction.OUT, algorithm, icv, integrity,
                true, FIRST - 1, 0);
        List<byte[]> packets = new ArrayList<>();
        try (OutboundSaState o = new OutboundSaState(out)) {
            for (int i = 0; i < 6; i++) {
                packets.add(EspTestSupport.seal(o, new byte[] {(byte) i, 1, 2, 3}, 17));
            }
        }
        return packets;
    }

    private static InboundSaState receiver(EspAlgorithm algorithm, IntegrityAlgorithm integrity, Long reference) {
        int icv = algorithm.combined() ? 16 : integrity.icvLength();
        SecurityAssociation in = EspTestSupport.sa(0x4001, SecurityAssociation.Direction.IN, algorithm, icv, integrity,
                true, 0, 64);
        return reference == null ? new InboundSaState(in) : InboundSaState.resynchronizing(in, System::nanoTime, reference);
    }

    /** The drops (null: opened, at the number expected) of the capture through a receiver. */
    private static List<EspDrop> open(InboundSaState s, List<byte[]> packets) {
        List<EspDrop> drops = new ArrayList<>();
        EspResult r = new EspResult();
        for (int i = 0; i < packets.size(); i++) {
            byte[][] payload = new byte[1][];
            EspDrop d = EspTestSupport.open(s, packets.get(i), r, payload);
            if (d == null) {
                assertEquals(FIRST + i, r.sequence, "packet " + i);
                assertArrayEquals(new byte[] {(byte) i, 1, 2, 3}, payload[0]);
            }
            drops.add(d);
        }
        return drops;
    }

    @Test
    void theCandidatesAreNearTheReferenceThenZero() {
        long[] highs = new long[EsnResync.MAX_CANDIDATES];
        // At or before the reference's low half: same subspace first.
        assertEquals(4, EsnResync.candidates((7L << 32) | 100, 50, highs));
        assertArrayEquals(new long[] {7, 8, 6, 0}, highs);
        // Past it: the capture was before the dump, in the previous subspace.
        assertEquals(4, EsnResync.candidates((7L << 32) | 100, 200, highs));
        assertArrayEquals(new long[] {6, 7, 5, 0}, highs);
        // At the edges of the 32-bit high half, nothing outside it, nothing twice.
        assertEquals(2, EsnResync.candidates(100, 50, highs));
        assertArrayEquals(new long[] {0, 1}, Arrays.copyOf(highs, 2));
        assertEquals(3, EsnResync.candidates(-1L, -1, highs));
        assertArrayEquals(new long[] {0xFFFF_FFFFL, 0xFFFF_FFFEL, 0}, Arrays.copyOf(highs, 3));
    }

    @Test
    void aCaptureAcrossTwoToThe32OpensFromADumpTakenBeforeDuringOrAfterIt() {
        for (EspAlgorithm a : List.of(EspAlgorithm.AES_GCM_128, EspAlgorithm.AES_CCM_128, EspAlgorithm.AES_CBC_128)) {
            IntegrityAlgorithm integrity = a.combined() ? null : IntegrityAlgorithm.HMAC_SHA256_128;
            List<byte[]> packets = capture(a, integrity);
            List<EspDrop> none = Arrays.asList(new EspDrop[6]);
            long last = FIRST + 5;
            for (long reference : new long[] {
                    last,                       // the receiver's state dumped right after the capture
                    last + 1_000_000,           // later, the SA still in high half 5
                    last + (1L << 32) + 7,      // more than 2^32 packets later (high half 6)
                    FIRST - 1_000,              // dumped just before the capture began
                    FIRST + 2}) {               // dumped in the middle of it
                try (InboundSaState s = receiver(a, integrity, reference)) {
                    assertEquals(none, open(s, packets), a + " reference " + Long.toHexString(reference));
                    assertEquals(last, s.highestSequence());
                }
            }
        }
    }

    @Test
    void withoutTheDumpsReplayStateEveryPacketPastTwoToThe32FailsItsIcv() {
        List<byte[]> packets = capture(EspAlgorithm.AES_GCM_128, null);
        try (InboundSaState s = receiver(EspAlgorithm.AES_GCM_128, null, null)) {
            // Packet 3 carries low half 0: inferred as number 0, which is never sent (a replay).
            assertEquals(List.of(EspDrop.INTEGRITY, EspDrop.INTEGRITY, EspDrop.INTEGRITY, EspDrop.REPLAY,
                    EspDrop.INTEGRITY, EspDrop.INTEGRITY), open(s, packets));
        }
        // A reference too far away (two subspaces) is no better: the search is bounded.
        try (InboundSaState s = receiver(EspAlgorithm.AES_GCM_128, null, (8L << 32) | 5)) {
            assertEquals(6, open(s, packets).stream().filter(d -> d == EspDrop.INTEGRITY).count());
        }
    }

    @Test
    void aForgedFirstPacketMovesNothingAndTheNextGenuineOneAnchors() {
        List<byte[]> packets = capture(EspAlgorithm.AES_CCM_128, null);
        byte[] forged = packets.get(0).clone();
        forged[forged.length - 1] ^= 1;
        try (InboundSaState s = receiver(EspAlgorithm.AES_CCM_128, null, FIRST + 5)) {
            EspResult r = new EspResult();
            assertEquals(EspDrop.INTEGRITY, EspTestSupport.open(s, forged, r, null));
            assertEquals(0, s.highestSequence(), "the window did not move");
            assertEquals(1, s.counters().drops(EspDrop.INTEGRITY));
            assertEquals(Arrays.asList(new EspDrop[6]), open(s, packets));
            // Anchored: a replay is now a replay, found before any cryptography.
            assertEquals(EspDrop.REPLAY, EspTestSupport.open(s, packets.get(2), r, null));
        }
    }
}
