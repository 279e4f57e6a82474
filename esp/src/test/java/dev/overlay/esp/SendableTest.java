package dev.overlay.esp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.esp.SecurityAssociation.Direction;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Strict in what we send, liberal in what we read: an inbound SA may use a transform we only open
 * (AES-192, AES-CTR, 3DES, DES, the 96-bit HMACs), an HMAC key of any non-empty length and a
 * cipher without integrity; an outbound SA only the contract's transforms, with integrity where
 * RFC 4303 section 3.2 needs it and an RFC 4868 key.
 */
class SendableTest {

    private static SecurityAssociation sa(Direction direction, EspAlgorithm algorithm, IntegrityAlgorithm integrity,
                                          int integrityKeyLength) {
        int icv = algorithm.combined() ? 16 : integrity == null ? 0 : integrity.icvLength();
        return EspTestSupport.sa(0x3000, direction, algorithm, icv, integrity, integrityKeyLength, false, 0, 64);
    }

    @Test
    void readOnlyTransformsOpenButNeverSend() {
        for (EspAlgorithm a : EspAlgorithm.values()) {
            IntegrityAlgorithm integrity = a.combined() ? null : IntegrityAlgorithm.HMAC_SHA256_128;
            assertEquals(a, sa(Direction.IN, a, integrity, 32).algorithm());
            if (a.sendable()) {
                assertEquals(a, sa(Direction.OUT, a, integrity, 32).algorithm());
            } else {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> sa(Direction.OUT, a, integrity, 32));
                assertTrue(e.getMessage().startsWith("algorithm: " + a), e.getMessage());
            }
        }
        for (IntegrityAlgorithm i : List.of(IntegrityAlgorithm.HMAC_SHA256_96, IntegrityAlgorithm.HMAC_SHA1_96,
                IntegrityAlgorithm.HMAC_MD5_96)) {
            assertEquals(12, sa(Direction.IN, EspAlgorithm.AES_CBC_128, i, i.keyLength()).icvLength());
            assertThrows(IllegalArgumentException.class, () -> sa(Direction.OUT, EspAlgorithm.AES_CBC_128, i, i.keyLength()));
        }
    }

    @Test
    void anHmacKeyOfAnyLengthOpensAndOnlyRfc4868sSends() {
        for (int length : new int[] {1, 20, 31, 33, 64, 200}) {
            assertEquals(length, sa(Direction.IN, EspAlgorithm.NULL, IntegrityAlgorithm.HMAC_SHA256_128, length)
                    .integrityKey().length);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> sa(Direction.OUT, EspAlgorithm.NULL, IntegrityAlgorithm.HMAC_SHA256_128, length));
            assertEquals("integrityKey: " + length + " bytes (expected: 32 for hmac-sha256-128 in an out SA)", e.getMessage());
        }
        for (Direction d : Direction.values()) {
            assertThrows(IllegalArgumentException.class,
                    () -> sa(d, EspAlgorithm.NULL, IntegrityAlgorithm.HMAC_SHA256_128, 0), "an empty key authenticates nothing");
        }
    }

    @Test
    void aCipherWithoutIntegrityOpensButDoesNotSend() {
        for (EspAlgorithm a : List.of(EspAlgorithm.AES_CBC_128, EspAlgorithm.AES_CBC_256)) {
            assertNull(sa(Direction.IN, a, null, 0).integrity());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sa(Direction.OUT, a, null, 0));
            assertEquals("integrity: none (expected: an HMAC with " + a + ")", e.getMessage());
        }
    }

    /** A read-only transform still seals (for tests, through the transform) and opens to the same bytes. */
    @Test
    void eightByteBlockCiphersAndCtrRoundTripThroughTheTransform() {
        byte[] payload = new byte[45];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) (i * 3 + 1);
        }
        for (EspAlgorithm a : List.of(EspAlgorithm.TRIPLE_DES_CBC, EspAlgorithm.DES_CBC, EspAlgorithm.AES_CTR_192,
                EspAlgorithm.AES_CBC_192)) {
            SecurityAssociation in = sa(Direction.IN, a, IntegrityAlgorithm.HMAC_SHA1_96, 20);
            // Sealed as its sender would: an outbound state of an SA identical but for direction is
            // refused, so the transform seals directly, with the default IV source of the algorithm.
            byte[] esp = EspTestSupport.sealWith(in.newTransform(null), in.spi(), 7, payload, 17, a.blockSize());
            assertEquals(0, (esp.length - 8 - a.ivLength() - 12) % a.blockSize(), a + ": padded to its block");
            try (InboundSaState state = new InboundSaState(in)) {
                EspResult result = new EspResult();
                byte[][] opened = new byte[1][];
                assertNull(EspTestSupport.open(state, esp, result, opened), a.toString());
                assertArrayEquals(payload, opened[0], a.toString());
                assertEquals(17, result.nextHeader);
            }
        }
    }
}
