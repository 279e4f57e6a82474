package dev.overlay.pcap;

import java.util.HexFormat;

/**
 * One SA, named as the config names it, written as the two files {@code --sa-file} reads: an
 * {@code ip xfrm state} entry ({@link XfrmStateText}) under the kernel's canonical algorithm
 * names, and a Wireshark {@code esp_sa} record under Wireshark's (null where Wireshark has no
 * name for the algorithm: AES-CCM, AES-GMAC, AES-XCBC-MAC).
 *
 * @param algorithm the config's name: {@code aes-gcm-256}, {@code null}, ...
 * @param icv the ICV bytes of a combined-mode algorithm, else null
 * @param key key then salt, as the config's {@code key}
 */
record SaTexts(String algorithm, Integer icv, byte[] key, String integrity, byte[] integrityKey) {
    private static final HexFormat HEX = HexFormat.of();

    /** The state as {@code ip xfrm state} (or, with {@code stats}, {@code ip -s xfrm state}) prints it. */
    XfrmStateText xfrm(String src, String dst, long spi, String mode) {
        XfrmStateText t = new XfrmStateText(src, dst, spi);
        t.mode = mode;
        String aead = algorithm.startsWith("aes-gcm") ? "rfc4106(gcm(aes))"
                : algorithm.startsWith("aes-ccm") ? "rfc4309(ccm(aes))"
                : algorithm.startsWith("aes-gmac") ? "rfc4543(gcm(aes))"
                : algorithm.equals("chacha20-poly1305") ? "rfc7539esp(chacha20,poly1305)" : null;
        if (aead != null) {
            t.aead = new XfrmStateText.Algo(aead, key, icv * 8);
            return t;
        }
        String enc = algorithm.equals("null") ? "ecb(cipher_null)" : algorithm.startsWith("aes-ctr") ? "rfc3686(ctr(aes))"
                : algorithm.equals("3des-cbc") ? "cbc(des3_ede)" : algorithm.equals("des-cbc") ? "cbc(des)" : "cbc(aes)";
        t.enc = new XfrmStateText.Algo(enc, key, 0);
        if (integrity != null) {
            int bits = Integer.parseInt(integrity.substring(integrity.lastIndexOf('-') + 1));
            String name = integrity.startsWith("aes-xcbc") ? "xcbc(aes)"
                    : "hmac(" + integrity.substring("hmac-".length(), integrity.lastIndexOf('-')) + ")";
            t.authTrunc = new XfrmStateText.Algo(name, integrityKey, bits);
        }
        return t;
    }

    /** The esp_sa record (Wireshark 4.x names), or null when Wireshark has no name for the algorithm. */
    String espSa(String src, String dst, String spi) {
        String encryption;
        if (algorithm.startsWith("aes-gcm")) {
            encryption = "AES-GCM with " + icv + " octet ICV [RFC4106]";
        } else if (algorithm.equals("chacha20-poly1305")) {
            encryption = "ChaCha20 with Poly1305 [RFC7634]";
        } else if (algorithm.startsWith("aes-cbc")) {
            encryption = "AES-CBC [RFC3602]";
        } else if (algorithm.startsWith("aes-ctr")) {
            encryption = "AES-CTR [RFC3686]";
        } else if (algorithm.equals("3des-cbc")) {
            encryption = "TripleDES-CBC [RFC2451]";
        } else if (algorithm.equals("des-cbc")) {
            encryption = "DES-CBC [RFC2405]";
        } else if (algorithm.equals("null")) {
            encryption = "NULL";
        } else {
            return null;
        }
        String authentication = integrity == null ? "NULL" : switch (integrity) {
            case "hmac-sha256-128" -> "HMAC-SHA-256-128 [RFC4868]";
            case "hmac-sha384-192" -> "HMAC-SHA-384-192 [RFC4868]";
            case "hmac-sha512-256" -> "HMAC-SHA-512-256 [RFC4868]";
            case "hmac-sha256-96" -> "HMAC-SHA-256-96 [draft-ietf-ipsec-ciph-sha-256-00]";
            case "hmac-sha1-96" -> "HMAC-SHA-1-96 [RFC2404]";
            case "hmac-md5-96" -> "HMAC-MD5-96 [RFC2403]";
            default -> null;
        };
        if (authentication == null) {
            return null; // AES-XCBC-MAC-96: Wireshark's ESP has no name for it
        }
        String family = src.contains(":") || dst.contains(":") ? "IPv6" : "IPv4";
        return String.join(",", q(family), q(src), q(dst), q(spi), q(encryption),
                q(key.length == 0 ? "" : "0x" + HEX.formatHex(key)), q(authentication),
                q(integrityKey == null ? "" : "0x" + HEX.formatHex(integrityKey))) + "\n";
    }

    /** True when tshark 4.0 decrypts this algorithm (AES-GCM, AES-CBC, AES-CTR, 3DES, DES, NULL; it has no ChaCha20 yet). */
    boolean tshark40Decrypts() {
        return algorithm.startsWith("aes-gcm") || algorithm.startsWith("aes-cbc") || algorithm.startsWith("aes-ctr")
                || algorithm.endsWith("des-cbc") || algorithm.equals("null");
    }

    private static String q(String s) {
        return '"' + s + '"';
    }
}
