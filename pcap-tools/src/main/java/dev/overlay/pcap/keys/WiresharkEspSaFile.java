package dev.overlay.pcap.keys;

import dev.overlay.datapath.ExternalSa;
import dev.overlay.esp.EspAlgorithm;
import dev.overlay.esp.IntegrityAlgorithm;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The SAs of a Wireshark {@code esp_sa} file (its ESP dissector's UAT, {@code packet-ipsec.c}):
 * one record per line, eight quoted fields: protocol ({@code IPv4}, {@code IPv6}), source,
 * destination ({@code *} for any), SPI (as C's {@code strtoul} reads it: decimal, {@code 0x} hex),
 * encryption, encryption key, authentication, authentication key. Keys are {@code 0x} then hex
 * (an odd count gets a leading 0) or, as Wireshark takes them, the text's own bytes. Lines
 * starting with {@code #} are comments.
 *
 * <p>Names are Wireshark 4.x's, exactly: {@code NULL}, {@code AES-CBC [RFC3602]},
 * {@code AES-CTR [RFC3686]}, {@code TripleDES-CBC [RFC2451]}, {@code DES-CBC [RFC2405]},
 * {@code AES-GCM with 8|12|16 octet ICV [RFC4106]} and {@code ChaCha20 with Poly1305 [RFC7634]}
 * for encryption (AES-128, -192 or -256 by the key's length, which includes the 4-byte salt of
 * GCM and ChaCha20 and the 4-byte nonce of CTR); {@code NULL},
 * {@code HMAC-SHA-256-128|384-192|512-256 [RFC4868]},
 * {@code HMAC-SHA-256-96 [draft-ietf-ipsec-ciph-sha-256-00]}, {@code HMAC-SHA-1-96 [RFC2404]}
 * and {@code HMAC-MD5-96 [RFC2403]} for authentication, with a key of any length, as Wireshark
 * takes it. Every other name Wireshark knows (CAST5, Blowfish, Twofish, the RFC 8750 implicit-IV
 * variants, MAC-RIPEMD-160-96, unchecked "ANY n bit") is refused by name. The file does not say
 * the mode: the next header decides (IPv4 or IPv6 is tunnel mode),
 * as Wireshark shows it.
 */
public final class WiresharkEspSaFile {

    private static final String SUPPORTED = "overlay opens NULL, AES-CBC [RFC3602], AES-CTR [RFC3686], TripleDES-CBC "
            + "[RFC2451], DES-CBC [RFC2405], AES-GCM with 8/12/16 octet ICV [RFC4106] and ChaCha20 with Poly1305 "
            + "[RFC7634], with NULL, HMAC-SHA-256-128, HMAC-SHA-384-192, HMAC-SHA-512-256 [RFC4868], HMAC-SHA-256-96 "
            + "[draft-ietf-ipsec-ciph-sha-256-00], HMAC-SHA-1-96 [RFC2404] or HMAC-MD5-96 [RFC2403] authentication";

    private WiresharkEspSaFile() {
    }

    /** True when {@code line}, the first that is not blank or a comment, is a record. */
    static boolean looksLike(String line) {
        return line.strip().startsWith("\"");
    }

    /** The SAs of {@code text}, read from {@code file}; warnings go to {@code warnings}. */
    public static List<ExternalSa> parse(Path file, String text, List<String> warnings) {
        List<ExternalSa> out = new ArrayList<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            out.add(record(file, i + 1, fields(file, i + 1, line), warnings));
        }
        return out;
    }

    private static ExternalSa record(Path file, int line, List<String> f, List<String> warnings) {
        if (f.size() != 8) {
            throw new SaFileException(file, line, "expected 8 quoted fields (protocol, source, destination, SPI, "
                    + "encryption, key, authentication, key), found " + f.size());
        }
        boolean ipv6 = switch (f.get(0)) {
            case "IPv4" -> false;
            case "IPv6" -> true;
            default -> throw new SaFileException(file, line, "protocol \"" + KeyText.shown(f.get(0)) + "\" is not IPv4 or IPv6");
        };
        Optional<InetAddress> src = address(file, line, f.get(1), "source", ipv6);
        Optional<InetAddress> dst = address(file, line, f.get(2), "destination", ipv6);
        if (f.get(3).contains("*")) {
            throw new SaFileException(file, line, "SPI \"" + KeyText.shown(f.get(3)) + "\" has a wildcard: overlay looks SAs up by "
                    + "SPI, give the SA's own");
        }
        long spi = KeyText.strtoul(f.get(3));
        if (spi < 0) {
            throw new SaFileException(file, line, "SPI \"" + KeyText.shown(f.get(3)) + "\" is not a 32-bit number (decimal, or 0x hex)");
        }
        Transforms.Keys keys = keys(file, line, f.get(4), key(f.get(5)), f.get(6), key(f.get(7)), warnings);
        return Transforms.sa(file, line, spi, keys, src, dst, Optional.empty(), false,
                dev.overlay.config.SaConfig.DEFAULT_REPLAY_WINDOW, 0, java.util.OptionalLong.empty(), warnings);
    }

    private static Transforms.Keys keys(Path file, int line, String encryption, byte[] key, String authentication,
                                        byte[] authKey, List<String> warnings) {
        int icv = switch (encryption) {
            case "AES-GCM with 8 octet ICV [RFC4106]" -> 8;
            case "AES-GCM with 12 octet ICV [RFC4106]" -> 12;
            case "AES-GCM with 16 octet ICV [RFC4106]", "ChaCha20 with Poly1305 [RFC7634]" -> 16;
            default -> 0;
        };
        if (icv != 0) {
            if (!authentication.equals("NULL")) {
                throw new SaFileException(file, line, encryption + " takes authentication NULL (the cipher makes the "
                        + "ICV), not " + KeyText.shown(authentication));
            }
            boolean chacha = encryption.startsWith("ChaCha20");
            EspAlgorithm algorithm = chacha ? (key.length == 36 ? EspAlgorithm.CHACHA20_POLY1305 : null)
                    : Transforms.aes(key.length - 4, EspAlgorithm.AES_GCM_128, EspAlgorithm.AES_GCM_192,
                    EspAlgorithm.AES_GCM_256);
            if (algorithm == null) {
                throw new SaFileException(file, line, Transforms.length("the encryption key of " + encryption, key.length,
                        chacha ? "36 (a 256-bit key and a 4-byte salt)" : Transforms.aesLengths(4, "salt")));
            }
            return new Transforms.Keys(algorithm, icv, key, null, null);
        }
        EspAlgorithm algorithm = switch (encryption) {
            case "NULL" -> EspAlgorithm.NULL;
            case "AES-CBC [RFC3602]" -> cipher(file, line, encryption, key, Transforms.aes(key.length,
                    EspAlgorithm.AES_CBC_128, EspAlgorithm.AES_CBC_192, EspAlgorithm.AES_CBC_256), Transforms.aesLengths(0, null));
            case "AES-CTR [RFC3686]" -> cipher(file, line, encryption, key, Transforms.aes(key.length - 4,
                    EspAlgorithm.AES_CTR_128, EspAlgorithm.AES_CTR_192, EspAlgorithm.AES_CTR_256),
                    Transforms.aesLengths(4, "nonce (RFC 3686)"));
            case "TripleDES-CBC [RFC2451]" -> cipher(file, line, encryption, key,
                    key.length == 24 ? EspAlgorithm.TRIPLE_DES_CBC : null, "24 (three DES keys)");
            case "DES-CBC [RFC2405]" -> cipher(file, line, encryption, key, key.length == 8 ? EspAlgorithm.DES_CBC : null, "8");
            case "AES-GCM [RFC4106]" -> throw new SaFileException(file, line, "\"AES-GCM [RFC4106]\" (deprecated in "
                    + "Wireshark) names no ICV length: use \"AES-GCM with 16 octet ICV [RFC4106]\" (or 8, 12)");
            default -> throw new SaFileException(file, line, "encryption \"" + KeyText.shown(encryption) + "\" is not supported: "
                    + SUPPORTED);
        };
        IntegrityAlgorithm integrity = switch (authentication) {
            case "NULL" -> null;
            case "HMAC-SHA-256-128 [RFC4868]" -> IntegrityAlgorithm.HMAC_SHA256_128;
            case "HMAC-SHA-384-192 [RFC4868]" -> IntegrityAlgorithm.HMAC_SHA384_192;
            case "HMAC-SHA-512-256 [RFC4868]" -> IntegrityAlgorithm.HMAC_SHA512_256;
            case "HMAC-SHA-256-96 [draft-ietf-ipsec-ciph-sha-256-00]" -> IntegrityAlgorithm.HMAC_SHA256_96;
            case "HMAC-SHA-1-96 [RFC2404]" -> IntegrityAlgorithm.HMAC_SHA1_96;
            case "HMAC-MD5-96 [RFC2403]" -> IntegrityAlgorithm.HMAC_MD5_96;
            default -> throw new SaFileException(file, line, "authentication \"" + KeyText.shown(authentication) + "\" is not supported"
                    + (authentication.startsWith("ANY ") ? " (it checks no ICV, and overlay opens ESP only with its "
                    + "ICV checked: give the HMAC and its key)" : ": " + SUPPORTED));
        };
        if (integrity != null) {
            Transforms.checkIntegrityKey(file, line, "the authentication key of " + authentication, authKey, integrity,
                    warnings);
        }
        // NULL encryption has no key; Wireshark ignores one written there, and so does this.
        return new Transforms.Keys(algorithm, integrity == null ? 0 : integrity.icvLength(),
                algorithm == EspAlgorithm.NULL ? new byte[0] : key, integrity, integrity == null ? null : authKey);
    }

    /** {@code algorithm}, or the sentence for an encryption key of the wrong length. */
    private static EspAlgorithm cipher(Path file, int line, String encryption, byte[] key, EspAlgorithm algorithm,
                                       String expected) {
        if (algorithm == null) {
            throw new SaFileException(file, line, Transforms.length("the encryption key of " + encryption, key.length,
                    expected));
        }
        return algorithm;
    }

    private static Optional<InetAddress> address(Path file, int line, String text, String what, boolean ipv6) {
        if (text.equals("*") || text.isEmpty()) {
            return Optional.empty();
        }
        InetAddress a = KeyText.address(text);
        if (a == null) {
            throw new SaFileException(file, line, what + " \"" + KeyText.shown(text) + "\" is not an address or * (prefixes and "
                    + "partial wildcards are not supported)");
        }
        if ((a instanceof Inet6Address) != ipv6) {
            throw new SaFileException(file, line, what + " " + KeyText.shown(text) + " is not an " + (ipv6 ? "IPv6" : "IPv4")
                    + " address, as the record's protocol says");
        }
        return Optional.of(a);
    }

    /** Wireshark's reading of a key: {@code 0x} and hex, else the text's own bytes; "" and "0x" are no key. */
    private static byte[] key(String text) {
        byte[] hex = KeyText.hexKey(text);
        return hex != null ? hex : text.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The quoted fields of a record: {@code "a","b",...}, with Wireshark's UAT escapes {@code \\"} {@code \\\\} {@code \\xHH}. */
    private static List<String> fields(Path file, int line, String text) {
        List<String> fields = new ArrayList<>();
        int i = 0;
        while (true) {
            while (i < text.length() && text.charAt(i) == ' ') {
                i++;
            }
            if (i >= text.length() || text.charAt(i) != '"') {
                throw new SaFileException(file, line, "malformed record: field " + (fields.size() + 1)
                        + " does not start with a double quote");
            }
            StringBuilder field = new StringBuilder();
            i++;
            while (true) {
                if (i >= text.length()) {
                    throw new SaFileException(file, line, "malformed record: field " + (fields.size() + 1)
                            + " has no closing double quote");
                }
                char c = text.charAt(i++);
                if (c == '"') {
                    break;
                }
                if (c == '\\' && i < text.length()) {
                    char e = text.charAt(i++);
                    if (e == 'x' && i + 2 <= text.length()) {
                        try {
                            field.append((char) Integer.parseInt(text.substring(i, i + 2), 16));
                            i += 2;
                            continue;
                        } catch (NumberFormatException ex) {
                            throw new SaFileException(file, line, "malformed record: bad escape \\x"
                                    + KeyText.shown(text.substring(i, i + 2)));
                        }
                    }
                    field.append(e);
                    continue;
                }
                field.append(c);
            }
            fields.add(field.toString());
            while (i < text.length() && text.charAt(i) == ' ') {
                i++;
            }
            if (i >= text.length()) {
                return fields;
            }
            if (text.charAt(i) != ',') {
                throw new SaFileException(file, line, "malformed record: expected a comma after field " + fields.size());
            }
            i++;
        }
    }
}
