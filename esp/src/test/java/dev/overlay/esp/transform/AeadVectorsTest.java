package dev.overlay.esp.transform;

import static dev.overlay.esp.EspTestSupport.hex;
import static dev.overlay.esp.EspTestSupport.unhex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.overlay.esp.EspTestSupport;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * strongSwan's ESP-form AEAD vectors (../shared/vectors/aead_level_vectors.json): AES-CCM and
 * AES-GCM with ICV 8/12/16 and ChaCha20-Poly1305, each encrypting to the published
 * ciphertext||ICV and decrypting back, through every implementation of the algorithm
 * (ours, the JDK's through its internals and through the JCA, Bouncy Castle's), in heap and
 * direct buffers.
 */
class AeadVectorsTest {

    static Stream<Arguments> vectors() throws IOException {
        List<Arguments> out = new ArrayList<>();
        for (JsonNode v : EspTestSupport.vectors("aead_level_vectors.json").get("vectors")) {
            String alg = v.get("algorithm").asText();
            List<String> impls = alg.startsWith("ENCR_AES_CCM") ? List.of("own-ccm", "bc-ccm")
                    : alg.startsWith("ENCR_AES_GCM") ? List.of("gcm", "jca-gcm", "bc-gcm")
                    : List.of("chacha20-poly1305");
            for (String impl : impls) {
                for (boolean direct : new boolean[] {false, true}) {
                    out.add(Arguments.of(v.get("name").asText(), impl, direct, v));
                }
            }
        }
        return out.stream();
    }

    static Aead aead(String impl, byte[] key, byte[] salt, int icv) {
        return switch (impl) {
            case "own-ccm" -> Aeads.ccm(key, salt, icv);
            case "bc-ccm" -> Aeads.bouncyCastleCcm(key, salt, icv);
            case "gcm" -> Aeads.gcm(key, salt, icv);
            case "jca-gcm" -> Aeads.jcaGcm(key, salt, icv);
            case "bc-gcm" -> Aeads.bouncyCastleGcm(key, salt, icv);
            default -> Aeads.chaCha20Poly1305(key, salt);
        };
    }

    @ParameterizedTest(name = "{0} {1} direct={2}")
    @MethodSource("vectors")
    void sealsToThePublishedCiphertextAndOpensBack(String name, String impl, boolean direct, JsonNode v) {
        byte[] key = unhex(v.get("key_hex").asText());
        byte[] salt = unhex(v.get("salt_hex").asText());
        int icv = v.get("icv_len").asInt();
        long iv = Long.parseUnsignedLong(v.get("iv_hex").asText(), 16);
        byte[] aad = unhex(v.get("aad_hex").asText());
        byte[] plaintext = unhex(v.get("plaintext_hex").asText());
        String expected = v.get("ciphertext_and_icv_hex").asText();

        ByteBuf buf = EspTestSupport.payload(plaintext, direct);
        try (Aead sealer = aead(impl, key, salt, icv); Aead opener = aead(impl, key, salt, icv)) {
            int off = buf.readerIndex();
            sealer.seal(iv, aad, aad.length, buf, off, plaintext.length);
            buf.writerIndex(off + plaintext.length + icv);
            assertEquals(expected, hex(buf));

            assertTrue(opener.open(iv, aad, aad.length, buf, off, plaintext.length));
            buf.writerIndex(off + plaintext.length);
            assertEquals(hex(plaintext), hex(buf));

            // The same ciphertext with its last ICV bit flipped must not verify.
            buf.writerIndex(off);
            buf.writeBytes(unhex(expected));
            int last = off + plaintext.length + icv - 1;
            buf.setByte(last, buf.getByte(last) ^ 1);
            assertFalse(opener.open(iv, aad, aad.length, buf, off, plaintext.length));
        } finally {
            buf.release();
        }
    }
}
