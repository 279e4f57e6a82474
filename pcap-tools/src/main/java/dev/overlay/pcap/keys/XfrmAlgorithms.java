package dev.overlay.pcap.keys;

import dev.overlay.esp.EspAlgorithm;
import dev.overlay.esp.IntegrityAlgorithm;
import java.nio.file.Path;

/**
 * The algorithm lines of an ESP state ({@code aead}, {@code enc}, {@code auth},
 * {@code auth-trunc}) resolved to a transform and its keys. The kernel stores and prints each
 * algorithm under its canonical name ({@code net/xfrm/xfrm_algo.c}); the compatibility names
 * {@code ip xfrm state add} also takes ({@code aes}, {@code sha256}, {@code cipher_null}) are
 * read too. Key lengths are checked here, with the layout expected in the sentence.
 */
final class XfrmAlgorithms {

    private static final String SUPPORTED = "overlay opens aead rfc4106(gcm(aes)), rfc4309(ccm(aes)), "
            + "rfc4543(gcm(aes)) and rfc7539esp(chacha20,poly1305) with 128- or 256-bit AES keys, enc cbc(aes) "
            + "(128 or 256 bits) and ecb(cipher_null), with auth-trunc hmac(sha256) 128, hmac(sha384) 192, "
            + "hmac(sha512) 256 or none";

    /** One algorithm line: {@code aead|enc|auth|auth-trunc NAME [KEY [(N bits)]] [BITS]}; bits -1 when none. */
    record Line(int line, String kind, String name, byte[] key, int bits) {
    }

    private XfrmAlgorithms() {
    }

    /** The transform of a state whose lines are these (null: absent); {@code stateLine} for what is missing. */
    static Transforms.Keys keys(Path file, int stateLine, Line aead, Line enc, Line auth) {
        return aead != null ? aead(file, aead, enc, auth) : cipher(file, stateLine, enc, auth);
    }

    private static Transforms.Keys aead(Path file, Line a, Line enc, Line auth) {
        if (enc != null || auth != null) {
            Line other = enc != null ? enc : auth;
            throw new SaFileException(file, other.line(), other.kind() + " beside aead: an ESP state has one or the other");
        }
        int saltBytes = switch (a.name()) {
            case "rfc4106(gcm(aes))", "rfc4543(gcm(aes))", "rfc7539esp(chacha20,poly1305)" -> 4;
            case "rfc4309(ccm(aes))" -> 3;
            default -> throw new SaFileException(file, a.line(), "aead " + KeyText.shown(a.name()) + " is not supported: " + SUPPORTED);
        };
        int keyBytes = a.key().length - saltBytes;
        EspAlgorithm algorithm = switch (a.name()) {
            case "rfc4106(gcm(aes))" -> Transforms.aes(keyBytes, EspAlgorithm.AES_GCM_128, EspAlgorithm.AES_GCM_256);
            case "rfc4543(gcm(aes))" -> Transforms.aes(keyBytes, EspAlgorithm.AES_GMAC_128, EspAlgorithm.AES_GMAC_256);
            case "rfc4309(ccm(aes))" -> Transforms.aes(keyBytes, EspAlgorithm.AES_CCM_128, EspAlgorithm.AES_CCM_256);
            default -> keyBytes == 32 ? EspAlgorithm.CHACHA20_POLY1305 : null;
        };
        if (algorithm == null) {
            String expected = a.name().startsWith("rfc7539esp") ? "36 (a 256-bit key and a 4-byte salt)"
                    : (16 + saltBytes) + " or " + (32 + saltBytes) + " (a 128- or 256-bit AES key and a " + saltBytes
                    + "-byte salt; AES-192 is not supported)";
            throw new SaFileException(file, a.line(), Transforms.length("the key of aead " + a.name(), a.key().length, expected));
        }
        if (a.bits() % 8 != 0 || !algorithm.icvLengths().contains(a.bits() / 8)) {
            throw new SaFileException(file, a.line(), "aead " + a.name() + " with a " + a.bits() + "-bit ICV is not "
                    + "supported (" + algorithm.icvLengths().stream().map(b -> String.valueOf(b * 8)).toList() + " are)");
        }
        return new Transforms.Keys(algorithm, a.bits() / 8, a.key(), null, null);
    }

    private static Transforms.Keys cipher(Path file, int stateLine, Line e, Line a) {
        if (e == null) {
            throw new SaFileException(file, stateLine, "ESP state without an enc or aead line");
        }
        EspAlgorithm algorithm = switch (e.name()) {
            case "cbc(aes)", "aes" -> {
                EspAlgorithm cbc = Transforms.aes(e.key().length, EspAlgorithm.AES_CBC_128, EspAlgorithm.AES_CBC_256);
                if (cbc == null) {
                    throw new SaFileException(file, e.line(), Transforms.length("the key of enc " + e.name(),
                            e.key().length, "16 or 32 (AES-128 or AES-256; AES-192 is not supported)"));
                }
                yield cbc;
            }
            case "ecb(cipher_null)", "cipher_null" -> {
                if (e.key().length != 0) {
                    throw new SaFileException(file, e.line(), Transforms.length("the key of enc " + e.name(),
                            e.key().length, "none"));
                }
                yield EspAlgorithm.NULL;
            }
            default -> throw new SaFileException(file, e.line(), "enc " + KeyText.shown(e.name()) + " is not supported: " + SUPPORTED);
        };
        if (a == null || a.name().equals("digest_null")) {
            return new Transforms.Keys(algorithm, 0, e.key(), null, null);
        }
        IntegrityAlgorithm integrity = switch (a.name()) {
            case "hmac(sha256)", "sha256" -> IntegrityAlgorithm.HMAC_SHA256_128;
            case "hmac(sha384)", "sha384" -> IntegrityAlgorithm.HMAC_SHA384_192;
            case "hmac(sha512)", "sha512" -> IntegrityAlgorithm.HMAC_SHA512_256;
            default -> throw new SaFileException(file, a.line(), a.kind() + " " + KeyText.shown(a.name()) + " is not supported: "
                    + SUPPORTED);
        };
        // A plain 'auth' line takes the kernel's default truncation: 96 bits for hmac(sha256) (the
        // draft Linux followed before RFC 4868), the RFC's half of the hash for the others.
        int bits = a.bits() >= 0 ? a.bits() : integrity == IntegrityAlgorithm.HMAC_SHA256_128 ? 96 : integrity.icvLength() * 8;
        if (bits != integrity.icvLength() * 8) {
            throw new SaFileException(file, a.line(), a.kind() + " " + a.name() + " truncated to " + bits + " bits is "
                    + "not supported (RFC 4868 truncates it to " + integrity.icvLength() * 8 + ")");
        }
        if (a.key().length != integrity.keyLength()) {
            throw new SaFileException(file, a.line(), Transforms.length("the key of " + a.kind() + " " + a.name(),
                    a.key().length, integrity.keyLength() + " (RFC 4868 section 2.1.1: as long as the hash output)"));
        }
        return new Transforms.Keys(algorithm, integrity.icvLength(), e.key(), integrity, a.key());
    }
}
