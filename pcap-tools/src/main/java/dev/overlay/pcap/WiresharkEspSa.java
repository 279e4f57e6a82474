package dev.overlay.pcap;

import dev.overlay.config.SaConfig;
import dev.overlay.datapath.ExternalSa;
import dev.overlay.esp.EspAlgorithm;
import dev.overlay.esp.IntegrityAlgorithm;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.HexFormat;

/**
 * One SA as a record of Wireshark's ESP SA table (the {@code esp_sa} UAT file, or
 * {@code -o uat:esp_sa:...}): eight quoted fields, protocol, source, destination, SPI, encryption
 * algorithm, encryption key, authentication algorithm, authentication key. The algorithm names
 * are the exact strings of Wireshark 4.0's ESP dissector; a name it does not know makes it refuse
 * the whole record.
 *
 * <p>Wireshark 4.0 decrypts AES-GCM (RFC 4106, key then salt as here), AES-CBC (RFC 3602), AES-CTR
 * (RFC 3686, key then nonce as here), 3DES and DES and NULL, and checks HMAC-SHA-256/384/512
 * (RFC 4868), HMAC-SHA-256-96, HMAC-SHA-1-96 and HMAC-MD5-96. It has no AES-CCM, ChaCha20-Poly1305 or AES-GMAC
 * for ESP: those SAs become a comment line naming the SA, so the file still lists every SA and
 * loads. (GMAC cannot be approximated as NULL encryption: its 8-byte IV sits before the clear
 * payload and Wireshark would read it as the payload's first bytes.) An SA with ESN gets a
 * comment line before its record: Wireshark 4.0 has no ESN, so its ICV check fails there.
 */
final class WiresharkEspSa {
    private static final HexFormat HEX = HexFormat.of();

    private WiresharkEspSa() {
    }

    /**
     * The record for {@code sa}, or a comment line when Wireshark 4.0 cannot use it. {@code out}
     * SAs go from this gateway to the peer, {@code in} SAs the other way.
     */
    static String line(SaConfig sa, InetAddress gateway, InetAddress peer) {
        boolean out = sa.direction() == SaConfig.Direction.OUT;
        InetAddress src = out ? gateway : peer;
        InetAddress dst = out ? peer : gateway;
        return line(sa, sa.direction().configName() + " " + sa.peer(), src instanceof Inet6Address ? "IPv6" : "IPv4",
                src.getHostAddress(), dst.getHostAddress());
    }

    /**
     * The record(s) of an SA read from an SA file, with its addresses or Wireshark's {@code *}:
     * one per address family when the file gives neither address (a record matches one family).
     */
    static String line(ExternalSa sa) {
        String src = sa.source().map(InetAddress::getHostAddress).orElse("*");
        String dst = sa.destination().map(InetAddress::getHostAddress).orElse("*");
        String what = "from " + sa.origin();
        java.util.Optional<InetAddress> any = sa.source().or(sa::destination);
        if (any.isPresent()) {
            return line(sa.sa(), what, any.get() instanceof Inet6Address ? "IPv6" : "IPv4", src, dst);
        }
        return line(sa.sa(), what, "IPv4", src, dst) + "\n" + line(sa.sa(), what, "IPv6", src, dst);
    }

    private static String line(SaConfig sa, String what, String protocol, String src, String dst) {
        String encryption = encryption(sa);
        if (encryption == null) {
            return "# " + sa.spiHex() + " " + what + " " + sa.algorithm().configName()
                    + ": Wireshark 4.0 has no ESP decryptor for this algorithm";
        }
        byte[] key = sa.key();
        byte[] integrityKey = sa.integrityKey();
        // Wireshark 4.0 knows no ESN: the high half it leaves out of the ICV makes its check fail.
        String esn = sa.esn() ? "# " + sa.spiHex() + " uses esn: Wireshark 4.0 ignores ESN, its ICV check of this SA"
                + " will fail\n" : "";
        try {
            return esn + String.join(",",
                    quote(protocol),
                    quote(src),
                    quote(dst),
                    quote(sa.spiHex()),
                    quote(encryption),
                    quote(key.length == 0 ? "" : "0x" + HEX.formatHex(key)),
                    quote(authentication(sa.integrity())),
                    quote(integrityKey == null ? "" : "0x" + HEX.formatHex(integrityKey)));
        } finally {
            java.util.Arrays.fill(key, (byte) 0);
            if (integrityKey != null) {
                java.util.Arrays.fill(integrityKey, (byte) 0);
            }
        }
    }

    /** True when Wireshark 4.0 can decrypt (or, for NULL, dissect) this SA's packets. */
    static boolean supported(SaConfig sa) {
        return encryption(sa) != null;
    }

    private static String encryption(SaConfig sa) {
        EspAlgorithm a = sa.algorithm();
        return switch (a) {
            // One entry for every AES key length: Wireshark picks AES-128/192/256 by the key's length.
            case AES_GCM_128, AES_GCM_192, AES_GCM_256 -> "AES-GCM with " + sa.icvLength() + " octet ICV [RFC4106]";
            case AES_CBC_128, AES_CBC_192, AES_CBC_256 -> "AES-CBC [RFC3602]";
            case AES_CTR_128, AES_CTR_192, AES_CTR_256 -> "AES-CTR [RFC3686]";
            case TRIPLE_DES_CBC -> "TripleDES-CBC [RFC2451]";
            case DES_CBC -> "DES-CBC [RFC2405]";
            case NULL -> "NULL";
            case AES_CCM_128, AES_CCM_192, AES_CCM_256, CHACHA20_POLY1305, AES_GMAC_128, AES_GMAC_192, AES_GMAC_256 -> null;
        };
    }

    private static String authentication(IntegrityAlgorithm integrity) {
        if (integrity == null) {
            return "NULL";
        }
        return switch (integrity) {
            case HMAC_SHA256_128 -> "HMAC-SHA-256-128 [RFC4868]";
            case HMAC_SHA384_192 -> "HMAC-SHA-384-192 [RFC4868]";
            case HMAC_SHA512_256 -> "HMAC-SHA-512-256 [RFC4868]";
            case HMAC_SHA256_96 -> "HMAC-SHA-256-96 [draft-ietf-ipsec-ciph-sha-256-00]";
            case HMAC_SHA1_96 -> "HMAC-SHA-1-96 [RFC2404]";
            case HMAC_MD5_96 -> "HMAC-MD5-96 [RFC2403]";
        };
    }

    /** UAT fields are C strings in double quotes; nothing written here holds a quote or backslash. */
    private static String quote(String s) {
        return '"' + s + '"';
    }
}
