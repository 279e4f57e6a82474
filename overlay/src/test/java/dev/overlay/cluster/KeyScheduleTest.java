package dev.overlay.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.esp.EspAlgorithm;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The key schedule against RFC 7748's published X25519 values and against an implementation
 * nobody here wrote: python3-cryptography's X25519 and HKDF, fed the {@code info} layout as
 * KeySchedule's documentation states it.
 */
class KeyScheduleTest {
    private static final HexFormat HEX = HexFormat.of();
    // RFC 7748 section 6.1.
    private static final String ALICE_PRIVATE = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
    private static final String ALICE_PUBLIC = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
    private static final String BOB_PRIVATE = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
    private static final String BOB_PUBLIC = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
    private static final String SHARED = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

    static PrivateKey privateKey(String hex) throws Exception {
        return KeyFactory.getInstance("X25519")
                .generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, HEX.parseHex(hex)));
    }

    @Test
    void x25519MatchesRfc7748BothWays() throws Exception {
        assertArrayEquals(HEX.parseHex(SHARED), KeySchedule.sharedSecret(privateKey(ALICE_PRIVATE), HEX.parseHex(BOB_PUBLIC)));
        assertArrayEquals(HEX.parseHex(SHARED), KeySchedule.sharedSecret(privateKey(BOB_PRIVATE), HEX.parseHex(ALICE_PUBLIC)));
        assertEquals(ALICE_PUBLIC, HEX.formatHex(KeySchedule.publicBytes(KeySchedule.publicKey(HEX.parseHex(ALICE_PUBLIC)))));
    }

    @Test
    void aFreshKeyPairAgreesWithItsPeerThroughThePublishedBytes() {
        KeyPair a = KeySchedule.generate();
        KeyPair b = KeySchedule.generate();
        byte[] ab = KeySchedule.sharedSecret(a.getPrivate(), KeySchedule.publicBytes(b.getPublic()));
        byte[] ba = KeySchedule.sharedSecret(b.getPrivate(), KeySchedule.publicBytes(a.getPublic()));
        assertArrayEquals(ab, ba);
        assertFalse(HEX.formatHex(KeySchedule.publicBytes(a.getPublic()))
                .equals(HEX.formatHex(KeySchedule.publicBytes(KeySchedule.generate().getPublic()))));
    }

    @Test
    void aSmallOrderPublicKeyIsRefused() throws Exception {
        PrivateKey alice = privateKey(ALICE_PRIVATE);
        byte[] zero = new byte[32];
        byte[] one = new byte[32];
        one[0] = 1;
        assertThrows(IllegalArgumentException.class, () -> KeySchedule.sharedSecret(alice, zero));
        assertThrows(IllegalArgumentException.class, () -> KeySchedule.sharedSecret(alice, one));
    }

    private static KeySchedule.Binding binding(String sender, String receiver, long generation) {
        return new KeySchedule.Binding("/overlay/lab", HEX.parseHex(sender), HEX.parseHex(receiver), false, 1001,
                generation, EspAlgorithm.AES_GCM_256);
    }

    @Test
    void directionsGenerationsAndThePskEachGiveAnotherKey() {
        byte[] shared = HEX.parseHex(SHARED);
        byte[] ab = KeySchedule.saKey(shared, null, binding(ALICE_PUBLIC, BOB_PUBLIC, 1));
        assertEquals(36, ab.length, "AES-GCM-256: 32-byte key then 4-byte salt");
        Set<String> keys = new HashSet<>();
        keys.add(HEX.formatHex(ab));
        keys.add(HEX.formatHex(KeySchedule.saKey(shared, null, binding(BOB_PUBLIC, ALICE_PUBLIC, 1))));
        keys.add(HEX.formatHex(KeySchedule.saKey(shared, null, binding(ALICE_PUBLIC, BOB_PUBLIC, 2))));
        // Not 32 zero bytes: RFC 5869 2.2 defines a missing salt as HashLen zeros, so that PSK is none.
        byte[] psk = new byte[32];
        psk[0] = 1;
        keys.add(HEX.formatHex(KeySchedule.saKey(shared, psk, binding(ALICE_PUBLIC, BOB_PUBLIC, 1))));
        assertEquals(4, keys.size());
        assertArrayEquals(ab, KeySchedule.saKey(shared, null, binding(ALICE_PUBLIC, BOB_PUBLIC, 1)), "deterministic");
    }

    @Test
    void theDerivationMatchesPythonCryptographyFollowingTheDocumentedLayout() throws Exception {
        byte[] psk = new byte[32];
        for (int i = 0; i < 32; i++) {
            psk[i] = (byte) i;
        }
        String script = """
                import sys, struct
                from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
                from cryptography.hazmat.primitives.kdf.hkdf import HKDF
                from cryptography.hazmat.primitives import hashes
                a = X25519PrivateKey.from_private_bytes(bytes.fromhex(sys.argv[1]))
                bob = bytes.fromhex(sys.argv[2])
                shared = a.exchange(X25519PublicKey.from_public_bytes(bob))
                from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
                alice = a.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
                def lp(b): return struct.pack(">H", len(b)) + b
                info = (b"overlay-cluster-v1 sa" + lp(b"/overlay/lab") + alice + bob + b"\\x01"
                        + struct.pack(">I", 4097) + struct.pack(">Q", 7) + lp(b"chacha20-poly1305"))
                for salt in (None, bytes(range(32))):
                    print(HKDF(algorithm=hashes.SHA256(), length=36, salt=salt, info=info).derive(shared).hex())
                """;
        Process p = new ProcessBuilder("/usr/bin/python3", "-c", script, ALICE_PRIVATE, BOB_PUBLIC)
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        String[] out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip().split("\n");
        assertEquals(0, p.exitValue(), String.join("\n", out));
        KeySchedule.Binding b = new KeySchedule.Binding("/overlay/lab", HEX.parseHex(ALICE_PUBLIC),
                HEX.parseHex(BOB_PUBLIC), true, 4097, 7, EspAlgorithm.CHACHA20_POLY1305);
        byte[] shared = KeySchedule.sharedSecret(privateKey(ALICE_PRIVATE), HEX.parseHex(BOB_PUBLIC));
        assertEquals(out[0], HEX.formatHex(KeySchedule.saKey(shared, null, b)));
        assertEquals(out[1], HEX.formatHex(KeySchedule.saKey(shared, psk, b)));
    }

    @Test
    void spisAreUniquePerReceiverAndPerSenderAndClearOfTheReservedRange() {
        Set<Long> seen = new HashSet<>();
        for (int receiver : new int[] {1, 2, 2047}) {
            for (int sender : new int[] {1, 3, 2047}) {
                for (int slot : new int[] {0, 1, 511}) {
                    for (long gen : new long[] {6, 7}) {
                        long spi = KeySchedule.spi(receiver, sender, slot, gen);
                        assertTrue(spi >= 1 << 21 && spi <= 0xFFFF_FFFFL, Long.toHexString(spi));
                        assertTrue(seen.add(spi), "collision at " + receiver + "/" + sender + "/" + slot + "/" + gen);
                    }
                }
            }
        }
        assertEquals(0x0020_0400L, KeySchedule.spi(1, 1, 0, 2));
        assertEquals(0xFFFF_FFFFL, KeySchedule.spi(2047, 2047, 511, 1));
        assertThrows(IllegalArgumentException.class, () -> KeySchedule.spi(0, 1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> KeySchedule.spi(1, 2048, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> KeySchedule.spi(1, 1, 512, 0));
    }

    @Test
    void thePskIdTellsKeysApart() {
        assertEquals("none", KeySchedule.pskId(null));
        byte[] one = new byte[32];
        byte[] other = new byte[32];
        other[31] = 1;
        String a = KeySchedule.pskId(one);
        assertEquals(16, a.length());
        assertEquals(a, KeySchedule.pskId(one.clone()));
        assertFalse(a.equals(KeySchedule.pskId(other)));
    }
}
