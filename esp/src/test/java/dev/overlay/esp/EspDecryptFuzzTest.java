package dev.overlay.esp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Coverage-guided fuzzing (Jazzer) of esp-decrypt: framing, ICV, replay, padding and trailer.
 * Files under {@code EspDecryptFuzzTestInputs/} replay in every test run; {@code JAZZER_FUZZ=1}
 * fuzzes (FUZZING.md).
 *
 * <p>Input: byte 0 picks the SA (bits 0-1: AES-GCM-256, NULL with HMAC-SHA-256-128, AES-CBC-128
 * with HMAC-SHA-256-128 and ESN, NULL without integrity) and, with bit 2 set, asks the harness to
 * seal the rest as that SA's sender would (encrypt with the SA's key, compute the ICV) so the
 * mutated padding and trailer get past the ICV; the rest is the ESP packet from the SPI. Without
 * bit 2 the bytes are opened as they are, as an attacker without the keys sends them.
 *
 * <p>Invariants: no exception; a drop counts exactly one reason on the SA, a success one packet;
 * on success the payload lies between the header and the trailer; the buffer stays the caller's.
 */
class EspDecryptFuzzTest {
    private static final boolean FUZZING = System.getenv("JAZZER_FUZZ") != null;
    private static final int SPI = 0x0000_1001;
    private static final List<SecurityAssociation> SAS = List.of(
            sa(EspAlgorithm.AES_GCM_256, 16, null, false),
            sa(EspAlgorithm.NULL, 16, IntegrityAlgorithm.HMAC_SHA256_128, false),
            sa(EspAlgorithm.AES_CBC_128, 16, IntegrityAlgorithm.HMAC_SHA256_128, true),
            sa(EspAlgorithm.NULL, 0, null, false));

    private static SecurityAssociation sa(EspAlgorithm algorithm, int icv, IntegrityAlgorithm integrity,
                                          boolean esn) {
        byte[] integrityKey = integrity == null ? null : EspTestSupport.key(integrity.keyLength(), 7);
        return new SecurityAssociation(SPI, SecurityAssociation.Direction.IN, algorithm, icv,
                EspTestSupport.key(algorithm.keyMaterialLength(), 3), integrity, integrityKey,
                SecurityAssociation.Mode.TRANSPORT, esn, 0, 64, SecurityAssociation.Lifetime.UNLIMITED,
                List.of("blue"), "gw-b");
    }

    @FuzzTest(maxDuration = "20s")
    void openArbitraryEsp(byte[] input) throws GeneralSecurityException {
        if (input.length == 0) {
            return;
        }
        SecurityAssociation sa = SAS.get(input[0] & 3);
        byte[] esp = Arrays.copyOfRange(input, 1, input.length);
        if ((input[0] & 4) != 0) {
            esp = seal(sa, esp);
        }
        byte[] packet = esp;
        if (FUZZING) {
            open(sa, packet); // libFuzzer's -timeout watches for hangs
        } else {
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> open(sa, packet));
        }
    }

    private static void open(SecurityAssociation sa, byte[] esp) {
        int headroom = 16;
        ByteBuf buf = Unpooled.buffer(headroom + esp.length, headroom + esp.length);
        buf.writerIndex(headroom).readerIndex(headroom);
        buf.writeBytes(esp);
        EspResult result = new EspResult();
        try (InboundSaState state = new InboundSaState(sa)) {
            EspDrop drop = EspDecrypt.open(state, buf, result);
            SaCounters c = state.counters();
            if (drop == null) {
                assertEquals(0, c.totalDrops(), c::toString);
                assertEquals(1, c.packets(), c::toString);
                int payloadStart = headroom + 8 + state.transform.ivLength();
                int trailerStart = headroom + esp.length - state.transform.icvLength() - 2;
                assertTrue(buf.readerIndex() == payloadStart && buf.writerIndex() <= trailerStart,
                        () -> "payload " + buf.readerIndex() + ".." + buf.writerIndex());
                assertTrue(result.nextHeader >= 0 && result.nextHeader <= 255 && result.nextHeader != 59);
            } else {
                assertEquals(1, c.totalDrops(), () -> drop + ": " + c);
                assertEquals(1, c.drops(drop), () -> drop + ": " + c);
                assertEquals(0, c.packets(), c::toString);
                if (drop != EspDrop.DUMMY) {
                    assertEquals(headroom, buf.readerIndex(), "indices unchanged on a drop");
                    assertEquals(headroom + esp.length, buf.writerIndex(), "indices unchanged on a drop");
                }
            }
            assertEquals(1, buf.refCnt(), "the buffer stays the caller's");
        } finally {
            assertTrue(buf.release());
        }
    }

    /**
     * What the SA's sender would put on the wire for {@code esp} = SPI, sequence, [IV], then the
     * plaintext with its trailer exactly as the fuzzer chose it (RFC 4303 2 and 3.3). Written
     * with the JDK's ciphers directly, independent of the transforms under test.
     */
    private static byte[] seal(SecurityAssociation sa, byte[] esp) throws GeneralSecurityException {
        EspAlgorithm algorithm = sa.algorithm();
        int iv = algorithm.ivLength();
        if (esp.length < 8 + iv) {
            return esp;
        }
        byte[] key = sa.cipherKey();
        byte[] body;
        if (algorithm == EspAlgorithm.AES_GCM_256) {
            // RFC 4106: nonce = salt | IV; AAD = SPI | sequence (no ESN on this SA).
            byte[] nonce = new byte[12];
            System.arraycopy(sa.salt(), 0, nonce, 0, 4);
            System.arraycopy(esp, 8, nonce, 4, 8);
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
            gcm.updateAAD(esp, 0, 8);
            byte[] sealed = gcm.doFinal(esp, 16, esp.length - 16);
            return concat(Arrays.copyOf(esp, 16), sealed);
        }
        if (algorithm == EspAlgorithm.AES_CBC_128) {
            int blocks = (esp.length - 8 - iv) / 16 * 16;
            Cipher cbc = Cipher.getInstance("AES/CBC/NoPadding");
            cbc.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(esp, 8, 16));
            body = concat(Arrays.copyOf(esp, 8 + iv), cbc.doFinal(esp, 8 + iv, blocks));
        } else {
            body = esp;
        }
        if (sa.integrity() == null) {
            return body;
        }
        // RFC 4303 2.8 and 3.3.2: the ICV covers SPI .. next header (then the ESN high half,
        // which a fresh window infers as 0 for every low half).
        Mac mac = Mac.getInstance(sa.integrity().jcaName());
        mac.init(new SecretKeySpec(sa.integrityKey(), mac.getAlgorithm()));
        mac.update(body);
        if (sa.esn()) {
            mac.update(new byte[4]);
        }
        return concat(body, Arrays.copyOf(mac.doFinal(), sa.icvLength()));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
