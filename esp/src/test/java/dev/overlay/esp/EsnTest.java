package dev.overlay.esp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EsnTest {

    /** RFC 4303 Appendix A2.2, both cases, each side of each boundary; window 64. */
    @ParameterizedTest(name = "top {0} low {1} -> {2}")
    @CsvSource({
            // Case A: Tl >= W - 1: the window is inside one subspace.
            "0x0000000500000100, 0x00000100, 0x0000000500000100",
            "0x0000000500000100, 0x000000C1, 0x00000005000000C1",   // Tl - W + 1: still this subspace
            "0x0000000500000100, 0x000000C0, 0x00000006000000C0",   // left of the window: next subspace
            "0x0000000500000100, 0xFFFFFFFF, 0x00000005FFFFFFFF",
            // Case B: Tl < W - 1: the window spans the subspace boundary.
            "0x0000000500000010, 0xFFFFFFD1, 0x00000004FFFFFFD1",   // Tl - W + 1 + 2^32: previous subspace
            "0x0000000500000010, 0xFFFFFFD0, 0x00000005FFFFFFD0",   // one less: this subspace, far ahead
            "0x0000000500000010, 0x00000005, 0x0000000500000005",
            // Case B in the first subspace: there is no previous one.
            "0x0000000000000010, 0xFFFFFFF0, 0x00000000FFFFFFF0",
    })
    void highHalfIsInferredAsAppendixASays(String top, String low, String expected) {
        assertEquals(Long.decode(expected.replace("0x", "#")) , Esn.infer(Integer.parseUnsignedInt(low.substring(2), 16),
                Long.parseUnsignedLong(top.substring(2), 16), 64));
    }

    @Test
    void senderCrossesTwoToThe32AndReceiverFollowsWithReordering() {
        long start = (1L << 32) - 4;
        SecurityAssociation out = EspTestSupport.sa(0x3001, SecurityAssociation.Direction.OUT, EspAlgorithm.AES_GCM_128,
                16, null, true, start, 64);
        SecurityAssociation in = EspTestSupport.sa(0x3001, SecurityAssociation.Direction.IN, EspAlgorithm.AES_GCM_128,
                16, null, true, start, 64);
        List<byte[]> packets = new ArrayList<>();
        try (OutboundSaState o = new OutboundSaState(out)) {
            for (int i = 0; i < 8; i++) {
                packets.add(EspTestSupport.seal(o, new byte[] {(byte) i}, 17));
            }
            assertEquals(start + 8, o.sequence());
        }
        // Deliver 0,1,2,5,4,3,7,6: the first packet of the new subspace comes after later ones.
        int[] order = {0, 1, 2, 5, 4, 3, 7, 6};
        try (InboundSaState s = new InboundSaState(in)) {
            EspResult r = new EspResult();
            for (int i : order) {
                assertNull(EspTestSupport.open(s, packets.get(i), r, null), "packet " + i);
                assertEquals(start + 1 + i, r.sequence);
            }
            assertEquals(start + 8, s.highestSequence());
            assertEquals(EspDrop.REPLAY, EspTestSupport.open(s, packets.get(3), r, null));
        }
    }

    @Test
    void withEsnTheHighHalfIsAuthenticated() {
        // A receiver that infers the wrong high half computes a different ICV: the packet fails integrity.
        SecurityAssociation out = EspTestSupport.sa(0x3002, SecurityAssociation.Direction.OUT, EspAlgorithm.AES_CBC_128,
                16, IntegrityAlgorithm.HMAC_SHA256_128, true, (3L << 32) + 10, 64);
        SecurityAssociation in = EspTestSupport.sa(0x3002, SecurityAssociation.Direction.IN, EspAlgorithm.AES_CBC_128,
                16, IntegrityAlgorithm.HMAC_SHA256_128, true, (2L << 32) + 10, 64);
        try (OutboundSaState o = new OutboundSaState(out); InboundSaState s = new InboundSaState(in)) {
            byte[] p = EspTestSupport.seal(o, new byte[20], 17);
            assertEquals(EspDrop.INTEGRITY, EspTestSupport.open(s, p, new EspResult(), null));
        }
    }
}
