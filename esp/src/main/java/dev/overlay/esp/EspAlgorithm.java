package dev.overlay.esp;

import java.util.List;

/**
 * The ESP transforms of the contract's {@code algorithm} key, with the sizes that config
 * validation, MTU arithmetic and the transforms themselves share.
 *
 * <p>Key material is written as ip-xfrm and Wireshark write it: the cipher key, then the salt
 * (RFC 4106 section 8.1, RFC 4309 section 7.1, RFC 7634 section 2, RFC 4543 section 3.2) or
 * nonce (RFC 3686 section 5.1). Every combined-mode and counter-mode transform uses the 64-bit
 * sequence number as its IV (RFC 4106 section 3.1 allows any unique value; the counter is unique
 * per key because an outbound SA never wraps). CBC draws a random IV per packet (RFC 3602
 * section 3).
 *
 * <p>Only the {@link #sendable()} transforms (the contract's) are sent. The others are here so
 * the offline tools open what other implementations send: AES-192 in each AES mode, AES-CTR
 * (RFC 3686), 3DES-CBC (RFC 2451) and DES-CBC (RFC 2405), all of which Linux and Wireshark take.
 */
public enum EspAlgorithm {
    AES_GCM_128("aes-gcm-128", 16, 4, 8, 4, List.of(8, 12, 16), Kind.AEAD, true),
    AES_GCM_256("aes-gcm-256", 32, 4, 8, 4, List.of(8, 12, 16), Kind.AEAD, true),
    AES_CCM_128("aes-ccm-128", 16, 3, 8, 4, List.of(8, 12, 16), Kind.AEAD, true),
    AES_CCM_256("aes-ccm-256", 32, 3, 8, 4, List.of(8, 12, 16), Kind.AEAD, true),
    CHACHA20_POLY1305("chacha20-poly1305", 32, 4, 8, 4, List.of(16), Kind.AEAD, true),
    /** RFC 4543: AES-GCM with the whole ESP payload as AAD and no ciphertext. */
    AES_GMAC_128("aes-gmac-128", 16, 4, 8, 4, List.of(16), Kind.INTEGRITY_ONLY, true),
    AES_GMAC_256("aes-gmac-256", 32, 4, 8, 4, List.of(16), Kind.INTEGRITY_ONLY, true),
    /** RFC 3602: needs a separate integrity algorithm. */
    AES_CBC_128("aes-cbc-128", 16, 0, 16, 16, List.of(), Kind.CIPHER, true),
    AES_CBC_256("aes-cbc-256", 32, 0, 16, 16, List.of(), Kind.CIPHER, true),
    /** RFC 2410: no confidentiality; integrity optional, and its absence is warned about. */
    NULL("null", 0, 0, 0, 4, List.of(), Kind.CIPHER, true),
    // Read only, below: opened, never sent.
    AES_GCM_192("aes-gcm-192", 24, 4, 8, 4, List.of(8, 12, 16), Kind.AEAD, false),
    AES_CCM_192("aes-ccm-192", 24, 3, 8, 4, List.of(8, 12, 16), Kind.AEAD, false),
    AES_GMAC_192("aes-gmac-192", 24, 4, 8, 4, List.of(16), Kind.INTEGRITY_ONLY, false),
    AES_CBC_192("aes-cbc-192", 24, 0, 16, 16, List.of(), Kind.CIPHER, false),
    /** RFC 3686: key then a 4-byte nonce; counter block = nonce || IV || 1; no block alignment. */
    AES_CTR_128("aes-ctr-128", 16, 4, 8, 4, List.of(), Kind.CIPHER, false),
    AES_CTR_192("aes-ctr-192", 24, 4, 8, 4, List.of(), Kind.CIPHER, false),
    AES_CTR_256("aes-ctr-256", 32, 4, 8, 4, List.of(), Kind.CIPHER, false),
    /** RFC 2451: three-key 3DES (DES-EDE3) in CBC, 8-byte blocks and IV. */
    TRIPLE_DES_CBC("3des-cbc", 24, 0, 8, 8, List.of(), Kind.CIPHER, false),
    /** RFC 2405: single DES in CBC; RFC 8221 says MUST NOT (a 56-bit key). */
    DES_CBC("des-cbc", 8, 0, 8, 8, List.of(), Kind.CIPHER, false);

    /** How the transform protects the payload. */
    public enum Kind {
        /** Combined mode: one key gives confidentiality and integrity; ICV from the cipher. */
        AEAD,
        /** Authenticated but not encrypted (GMAC). */
        INTEGRITY_ONLY,
        /** Confidentiality (or none, for NULL); integrity, if any, from {@link IntegrityAlgorithm}. */
        CIPHER
    }

    private final String configName;
    private final int keyLength;
    private final int saltLength;
    private final int ivLength;
    private final int blockSize;
    private final List<Integer> icvLengths;
    private final Kind kind;
    private final boolean sendable;

    EspAlgorithm(String configName, int keyLength, int saltLength, int ivLength, int blockSize,
                 List<Integer> icvLengths, Kind kind, boolean sendable) {
        this.configName = configName;
        this.keyLength = keyLength;
        this.saltLength = saltLength;
        this.ivLength = ivLength;
        this.blockSize = blockSize;
        this.icvLengths = icvLengths;
        this.kind = kind;
        this.sendable = sendable;
    }

    /** The name in the config file and in {@code check} output, e.g. {@code aes-gcm-256}. */
    public String configName() {
        return configName;
    }

    /** Cipher key bytes, without the salt. */
    public int keyLength() {
        return keyLength;
    }

    /** Salt bytes that follow the key in the config's {@code key}. */
    public int saltLength() {
        return saltLength;
    }

    /** Bytes of the {@code key} value: key then salt. */
    public int keyMaterialLength() {
        return keyLength + saltLength;
    }

    /** Explicit IV bytes carried in each packet after the sequence number. */
    public int ivLength() {
        return ivLength;
    }

    /**
     * The alignment the padded plaintext must reach: the cipher block for CBC, else 4 bytes
     * (RFC 4303 section 2.4: the ICV field must start on a 4-byte boundary).
     */
    public int blockSize() {
        return blockSize;
    }

    /** The ICV lengths the transform allows; empty when the ICV comes from {@link IntegrityAlgorithm}. */
    public List<Integer> icvLengths() {
        return icvLengths;
    }

    public Kind kind() {
        return kind;
    }

    /** True when the transform carries its own ICV (AEAD and GMAC). */
    public boolean combined() {
        return kind != Kind.CIPHER;
    }

    /**
     * True when the explicit IV is the sequence number (the counter modes: GCM, CCM,
     * ChaCha20-Poly1305, GMAC, CTR; RFC 4106 3.1, RFC 4309 3.1, RFC 7634 2, RFC 4543 3.1,
     * RFC 3686 3.1): sending one sequence number twice under one key reuses a nonce, which for
     * GCM discloses the XOR of two plaintexts and the GHASH key (forgery).
     */
    public boolean sequenceIsNonce() {
        return combined() || counterMode();
    }

    /** True for AES-CTR (RFC 3686). */
    public boolean counterMode() {
        return this == AES_CTR_128 || this == AES_CTR_192 || this == AES_CTR_256;
    }

    /** True for the CBC ciphers: the ciphertext is whole blocks (RFC 4303 3.4.1 checks that on receipt). */
    public boolean cbc() {
        return kind == Kind.CIPHER && blockSize > 4;
    }

    /**
     * True when an {@code integrity} algorithm must be given to send (CBC and CTR: RFC 4303
     * section 3.2 and RFC 3686 section 7 forbid encryption alone). Read-only uses accept them
     * without, as Linux does, with a warning.
     */
    public boolean requiresIntegrity() {
        return cbc() || counterMode();
    }

    /**
     * True for the contract's transforms, which the gateway and {@code pcap encode} send; false
     * for those only opened (AES-192, AES-CTR, 3DES, DES), so the offline tools read what other
     * implementations send while what this one sends stays the contract's set.
     */
    public boolean sendable() {
        return sendable;
    }

    /** The algorithm of a config name, or {@code null} when there is none. */
    public static EspAlgorithm of(String configName) {
        for (EspAlgorithm a : values()) {
            if (a.configName.equals(configName)) {
                return a;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return configName;
    }
}
