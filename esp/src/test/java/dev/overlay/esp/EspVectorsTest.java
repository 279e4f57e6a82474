package dev.overlay.esp;

import static dev.overlay.esp.EspTestSupport.fixedIv;
import static dev.overlay.esp.EspTestSupport.hex;
import static dev.overlay.esp.EspTestSupport.unhex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every complete ESP packet of ../shared/vectors/esp_vectors.json (OpenDataPlane's IPsec test
 * vectors and RFC 7634 Appendix A) opens to its published plaintext, in heap and direct
 * buffers, and re-sealing the plaintext with the same sequence number and IV gives the
 * published bytes.
 */
class EspVectorsTest {

    static Stream<Arguments> vectors() throws IOException {
        List<Arguments> out = new ArrayList<>();
        for (JsonNode v : EspTestSupport.vectors("esp_vectors.json").get("vectors")) {
            out.add(Arguments.of(v.get("name").asText(), v, false));
            out.add(Arguments.of(v.get("name").asText(), v, true));
        }
        return out.stream();
    }

    static SecurityAssociation sa(JsonNode v, SecurityAssociation.Direction direction, long initial) {
        String id = v.get("alg_id").asText();
        int bits = v.get("key_bits").asInt();
        EspAlgorithm algorithm = switch (id) {
            case "chacha20-poly1305" -> EspAlgorithm.CHACHA20_POLY1305;
            case "aes-gcm" -> bits == 128 ? EspAlgorithm.AES_GCM_128 : EspAlgorithm.AES_GCM_256;
            case "aes-gmac" -> bits == 128 ? EspAlgorithm.AES_GMAC_128 : EspAlgorithm.AES_GMAC_256;
            case "null-hmac-sha256-128" -> EspAlgorithm.NULL;
            default -> throw new AssertionError("unknown alg_id " + id);
        };
        IntegrityAlgorithm integrity = algorithm == EspAlgorithm.NULL ? IntegrityAlgorithm.HMAC_SHA256_128 : null;
        byte[] key = concat(unhex(text(v, "key_hex")), unhex(text(v, "salt_hex")));
        return new SecurityAssociation(v.get("spi").asInt(), direction, algorithm, v.get("icv_len").asInt(), key,
                integrity, integrity == null ? null : unhex(text(v, "auth_key_hex")),
                SecurityAssociation.Mode.TRANSPORT, v.get("esn").asBoolean(), initial, 1024,
                SecurityAssociation.Lifetime.UNLIMITED, List.of(), null);
    }

    @ParameterizedTest(name = "{0} direct={2}")
    @MethodSource("vectors")
    void publishedPacketOpensToItsPlaintext(String name, JsonNode v, boolean direct) {
        byte[] esp = espPart(unhex(text(v, "outer_packet_hex")), v.get("udp_encap").asBoolean());
        assertEquals(text(v, "esp_packet_hex"), hex(esp), "ESP found in the outer packet");
        InboundSaState in = new InboundSaState(sa(v, SecurityAssociation.Direction.IN, 0));
        ByteBuf buf = EspTestSupport.payload(esp, direct);
        EspResult result = new EspResult();
        try {
            EspDrop drop = EspDecrypt.open(in, buf, result);
            if (v.get("expect").asText().equals("integrity_failure")) {
                assertEquals(EspDrop.INTEGRITY, drop);
                assertEquals(1, in.counters().drops(EspDrop.INTEGRITY));
                return;
            }
            int nextHeader = v.get("next_header").asInt();
            assertEquals(nextHeader == 59 ? EspDrop.DUMMY : null, drop);
            assertEquals(text(v, "payload_without_trailer_hex"), hex(buf));
            assertEquals(nextHeader, result.nextHeader);
            assertEquals(v.get("seq").asLong(), result.sequence);
            assertEquals(nextHeader == 59 ? 0 : 1, in.counters().packets());
        } finally {
            buf.release();
            in.close();
        }
    }

    @ParameterizedTest(name = "{0} direct={2}")
    @MethodSource("vectors")
    void resealingThePlaintextReproducesThePublishedPacket(String name, JsonNode v, boolean direct) {
        if (!v.get("expect").asText().equals("ok")) {
            return;
        }
        byte[] iv = unhex(text(v, "iv_hex"));
        OutboundSaState out = EspTestSupport.outbound(sa(v, SecurityAssociation.Direction.OUT, v.get("seq").asLong() - 1),
                iv.length == 0 ? null : fixedIv(iv));
        ByteBuf buf = EspTestSupport.payload(unhex(text(v, "payload_without_trailer_hex")), direct);
        try {
            assertNull(EspEncrypt.seal(out, buf, v.get("next_header").asInt()));
            assertEquals(text(v, "esp_packet_hex"), hex(buf));
        } finally {
            buf.release();
            out.close();
        }
    }

    /** Just enough of Ethernet, IPv4/IPv6 (with extension headers) and UDP 4500 to find ESP. */
    static byte[] espPart(byte[] frame, boolean udp) {
        int o = 0;
        if ((frame[0] >> 4) != 4 && (frame[0] >> 4) != 6) {
            o = 14;
        }
        int protocol;
        if ((frame[o] >> 4 & 0xF) == 4) {
            protocol = frame[o + 9] & 0xFF;
            o += (frame[o] & 0xF) * 4;
        } else {
            protocol = frame[o + 6] & 0xFF;
            o += 40;
            while (protocol == 0 || protocol == 43 || protocol == 60) {
                protocol = frame[o] & 0xFF;
                o += ((frame[o + 1] & 0xFF) + 1) * 8;
            }
        }
        if (udp) {
            assertEquals(17, protocol);
            assertEquals(4500, ((frame[o + 2] & 0xFF) << 8) | (frame[o + 3] & 0xFF), "RFC 3948 port");
            o += 8;
        } else {
            assertEquals(50, protocol);
        }
        return Arrays.copyOfRange(frame, o, frame.length);
    }

    static String text(JsonNode v, String field) {
        JsonNode n = v.get(field);
        return n == null || n.isNull() ? "" : n.asText();
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
