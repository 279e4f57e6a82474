package dev.overlay.pcap.keys;

import dev.overlay.esp.EspAlgorithm;
import dev.overlay.esp.IntegrityAlgorithm;
import java.nio.file.Path;
import java.util.List;

/**
 * The algorithm lines of an ESP state ({@code aead}, {@code enc}, {@code auth},
 * {@code auth-trunc}) resolved to a transform and its keys. The kernel stores and prints each
 * algorithm under its canonical name ({@code net/xfrm/xfrm_algo.c}); the compatibility names
 * {@code ip xfrm state add} also takes ({@code aes}, {@code des3_ede}, {@code ctr(aes)},
 * {@code sha256}, {@code cipher_null}) are read too. Key lengths are checked here, with the
 * layout expected in the sentence; an HMAC key is taken at any non-empty length, as the kernel
 * takes it, with a warning when it is not the length its specification gives.
 */
final class XfrmAlgorithms {

    private static final String SUPPORTED = "overlay opens aead rfc4106(gcm(aes)), rfc4309(ccm(aes)), "
            + "rfc4543(gcm(aes)) and rfc7539esp(chacha20,poly1305), enc cbc(aes), rfc3686(ctr(aes)), "
            + "cbc(des3_ede), cbc(des) and ecb(cipher_null), with auth-trunc hmac(sha256) 128 or 96, hmac(sha384) "
            + "192, hmac(sha512) 256, hmac(sha1) 96, hmac(md5) 96 or none";

    /** One algorithm line: {@code aead|enc|auth|auth-trunc NAME [KEY [(N bits)]] [BITS]}; bits -1 when none. */
    record Line(int line, String kind, String name, byte[] key, int bits) {
    }

    private XfrmAlgorithms() {
    }

    /**
     * The transform of a state whose lines are these (null: absent); {@code stateLine} for what
     * is missing; what is read but weaker than RFC 4868 goes to {@code warnings}.
     */
    static Transforms.Keys keys(Path file, int stateLine, Line aead, Line enc, Line auth, List<String> warnings) {
        return aead != null ? aead(file, aead, enc, auth) : cipher(file, stateLine, enc, auth, warnings);
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
            case "rfc4106(gcm(aes))" -> Transforms.aes(keyBytes, EspAlgorithm.AES_GCM_128, EspAlgorithm.AES_GCM_192,
                    EspAlgorithm.AES_GCM_256);
            case "rfc4543(gcm(aes))" -> Transforms.aes(keyBytes, EspAlgorithm.AES_GMAC_128, EspAlgorithm.AES_GMAC_192,
                    EspAlgorithm.AES_GMAC_256);
            case "rfc4309(ccm(aes))" -> Transforms.aes(keyBytes, EspAlgorithm.AES_CCM_128, EspAlgorithm.AES_CCM_192,
                    EspAlgorithm.AES_CCM_256);
            default -> keyBytes == 32 ? EspAlgorithm.CHACHA20_POLY1305 : null;
        };
        if (algorithm == null) {
            String expected = a.name().startsWith("rfc7539esp") ? "36 (a 256-bit key and a 4-byte salt)"
                    : Transforms.aesLengths(saltBytes, "salt");
            throw new SaFileException(file, a.line(), Transforms.length("the key of aead " + a.name(), a.key().length, expected));
        }
        if (a.bits() % 8 != 0 || !algorithm.icvLengths().contains(a.bits() / 8)) {
            throw new SaFileException(file, a.line(), "aead " + a.name() + " with a " + a.bits() + "-bit ICV is not "
                    + "supported (" + algorithm.icvLengths().stream().map(b -> String.valueOf(b * 8)).toList() + " are)");
        }
        return new Transforms.Keys(algorithm, a.bits() / 8, a.key(), null, null);
    }

    private static Transforms.Keys cipher(Path file, int stateLine, Line e, Line a, List<String> warnings) {
        if (e == null) {
            throw new SaFileException(file, stateLine, "ESP state without an enc or aead line");
        }
        EspAlgorithm algorithm = switch (e.name()) {
            case "cbc(aes)", "aes" -> cipherKey(file, e, Transforms.aes(e.key().length, EspAlgorithm.AES_CBC_128,
                    EspAlgorithm.AES_CBC_192, EspAlgorithm.AES_CBC_256), Transforms.aesLengths(0, null));
            case "rfc3686(ctr(aes))", "ctr(aes)" -> cipherKey(file, e, Transforms.aes(e.key().length - 4,
                    EspAlgorithm.AES_CTR_128, EspAlgorithm.AES_CTR_192, EspAlgorithm.AES_CTR_256),
                    Transforms.aesLengths(4, "nonce (RFC 3686)"));
            case "cbc(des3_ede)", "des3_ede" -> cipherKey(file, e, e.key().length == 24 ? EspAlgorithm.TRIPLE_DES_CBC
                    : null, "24 (three DES keys)");
            case "cbc(des)", "des" -> cipherKey(file, e, e.key().length == 8 ? EspAlgorithm.DES_CBC : null, "8");
            case "ecb(cipher_null)", "cipher_null" -> cipherKey(file, e, e.key().length == 0 ? EspAlgorithm.NULL : null,
                    "none");
            default -> throw new SaFileException(file, e.line(), "enc " + KeyText.shown(e.name()) + " is not supported: " + SUPPORTED);
        };
        if (a == null || a.name().equals("digest_null")) {
            return new Transforms.Keys(algorithm, 0, e.key(), null, null);
        }
        // A plain 'auth' line takes the kernel's default truncation (xfrm_algo.c's icv_truncbits):
        // 96 bits for hmac(sha256) (the draft Linux followed before RFC 4868), sha1 and md5, the
        // RFC's half of the hash for sha384 and sha512. A dump of such a state prints auth-trunc
        // with those bits.
        String hash = switch (a.name()) {
            case "hmac(sha256)", "sha256" -> "sha256";
            case "hmac(sha384)", "sha384" -> "sha384";
            case "hmac(sha512)", "sha512" -> "sha512";
            case "hmac(sha1)", "sha1" -> "sha1";
            case "hmac(md5)", "md5" -> "md5";
            default -> throw new SaFileException(file, a.line(), a.kind() + " " + KeyText.shown(a.name()) + " is not supported: "
                    + SUPPORTED);
        };
        int defaultBits = switch (hash) {
            case "sha384" -> 192;
            case "sha512" -> 256;
            default -> 96;
        };
        int bits = a.bits() >= 0 ? a.bits() : defaultBits;
        IntegrityAlgorithm integrity = switch (hash + "/" + bits) {
            case "sha256/128" -> IntegrityAlgorithm.HMAC_SHA256_128;
            case "sha256/96" -> IntegrityAlgorithm.HMAC_SHA256_96;
            case "sha384/192" -> IntegrityAlgorithm.HMAC_SHA384_192;
            case "sha512/256" -> IntegrityAlgorithm.HMAC_SHA512_256;
            case "sha1/96" -> IntegrityAlgorithm.HMAC_SHA1_96;
            case "md5/96" -> IntegrityAlgorithm.HMAC_MD5_96;
            default -> throw new SaFileException(file, a.line(), a.kind() + " " + a.name() + " truncated to " + bits
                    + " bits is not supported (" + (hash.equals("sha256") ? "128 (RFC 4868) and 96 are"
                    : defaultBits + " is") + ")");
        };
        if (integrity == IntegrityAlgorithm.HMAC_SHA256_96) {
            warnings.add(file + ":" + a.line() + ": warning: " + a.kind() + " " + a.name() + (a.bits() < 0
                    ? " without a truncation is truncated to 96 bits by Linux" : " truncated to 96 bits")
                    + " (draft-ietf-ipsec-ciph-sha-256-00, before RFC 4868's 128): opened as hmac-sha256-96, "
                    + "which only peers configured the same way use");
        }
        Transforms.checkIntegrityKey(file, a.line(), "the key of " + a.kind() + " " + a.name(), a.key(), integrity,
                warnings);
        return new Transforms.Keys(algorithm, integrity.icvLength(), e.key(), integrity, a.key());
    }

    /** {@code algorithm}, or the sentence for a key of the wrong length for {@code e}'s cipher. */
    private static EspAlgorithm cipherKey(Path file, Line e, EspAlgorithm algorithm, String expected) {
        if (algorithm == null) {
            throw new SaFileException(file, e.line(), Transforms.length("the key of enc " + e.name(), e.key().length, expected));
        }
        return algorithm;
    }
}
