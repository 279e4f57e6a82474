package dev.overlay.esp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reserve-ahead on the outbound side: nothing is sent past what the store has persisted. */
class SequenceReservationTest {

    /** A store that records requests and grants only when told (a blocked disk). */
    private static final class Recorder implements SequenceReserve {
        final List<Long> requests = new ArrayList<>();

        @Override
        public void request(OutboundSaState sa) {
            requests.add(sa.sequence());
        }
    }

    private static OutboundSaState gcm(boolean esn, long initial) {
        return new OutboundSaState(EspTestSupport.sa(0x6001, SecurityAssociation.Direction.OUT,
                EspAlgorithm.AES_GCM_256, 16, null, esn, initial, 0));
    }

    private static EspDrop sealOne(OutboundSaState sa) {
        ByteBuf buf = EspTestSupport.payload(new byte[8], false);
        try {
            return EspEncrypt.seal(sa, buf, 17);
        } finally {
            buf.release();
        }
    }

    @Test
    void packetsPastAnUnextendedReservationAreDroppedAndCounted() {
        Recorder store = new Recorder();
        try (OutboundSaState sa = gcm(false, 0)) {
            sa.reserve(store, 8, 0, 8);
            for (int i = 1; i <= 8; i++) {
                assertNull(sealOne(sa), "packet " + i);
                assertEquals(i, sa.sequence());
            }
            // Asked once when less than half a step (4) remained: at sequence 4, about to send 5.
            assertEquals(List.of(4L), store.requests);
            for (int i = 0; i < 5; i++) {
                assertEquals(EspDrop.SEQUENCE_RESERVE, sealOne(sa));
            }
            assertEquals(8, sa.sequence(), "a dropped packet consumes no sequence number");
            assertEquals(5, sa.counters().drops(EspDrop.SEQUENCE_RESERVE));
            assertEquals(8, sa.counters().packets());
            assertEquals(6, store.requests.size(), "every drop asks again; the store coalesces");

            sa.grant(16);
            assertNull(sealOne(sa));
            assertEquals(9, sa.sequence());
        }
    }

    @Test
    void sendingResumesAfterTheFloorNeverBelowTheConfiguredStart() {
        Recorder store = new Recorder();
        try (OutboundSaState sa = gcm(false, 100)) {
            sa.reserve(store, 1 << 20, 5000, 5000 + (1 << 20));
            assertNull(sealOne(sa));
            assertEquals(5001, sa.sequence());
            assertEquals(List.of(), store.requests, "a fresh reservation needs no extension yet");
        }
        try (OutboundSaState sa = gcm(false, 100)) {
            sa.reserve(store, 1 << 20, 50, 50 + (1 << 20));
            assertNull(sealOne(sa));
            assertEquals(101, sa.sequence(), "initial-sequence wins over a lower stored floor");
        }
    }

    @Test
    void aFloorBeyondThe32BitSpaceLeavesTheSaExhaustedNotWrapped() {
        try (OutboundSaState sa = gcm(false, 0)) {
            sa.reserve(s -> { }, 1 << 20, 1L << 33, (1L << 33) + (1 << 20));
            assertEquals(EspDrop.SEQUENCE_EXHAUSTED, sealOne(sa));
        }
        try (OutboundSaState sa = gcm(true, 0)) {
            sa.reserve(s -> { }, 1 << 20, 1L << 33, (1L << 33) + (1 << 20));
            assertNull(sealOne(sa));
            assertEquals((1L << 33) + 1, sa.sequence(), "with ESN the 64-bit counter carries on");
        }
    }

    @Test
    void withoutAReservationNothingChanges() {
        try (OutboundSaState sa = gcm(false, 0)) {
            for (int i = 0; i < 100; i++) {
                assertNull(sealOne(sa));
            }
            assertEquals(100, sa.sequence());
            assertEquals(-1L, sa.granted());
        }
    }
}
