package dev.overlay.esp;

/**
 * The separate integrity transforms of the contract's {@code integrity} key, used with the
 * CIPHER transforms ({@code aes-cbc-*}: required; {@code null}: optional): HMAC-SHA-2 truncated to
 * half the hash as RFC 4868 section 2.3 specifies, with a key as long as the hash output (section
 * 2.1.1).
 *
 * <p>Only the {@link #sendable()} ones are sent. The others are read, so the offline tools open
 * what others send: HMAC-SHA-256 truncated to 96 bits (draft-ietf-ipsec-ciph-sha-256-00, what
 * Linux's {@code auth hmac(sha256)} still does and Wireshark calls
 * {@code HMAC-SHA-256-96 [draft-ietf-ipsec-ciph-sha-256-00]}), HMAC-SHA-1-96 (RFC 2404) and
 * HMAC-MD5-96 (RFC 2403). HMAC takes a key of any length (RFC 2104 section 3), and Linux and
 * Wireshark do: an SA that opens may have any non-empty key; one that sends, only
 * {@link #keyLength()} bytes.
 */
public enum IntegrityAlgorithm {
    HMAC_SHA256_128("hmac-sha256-128", "HmacSHA256", 32, 16, true),
    HMAC_SHA384_192("hmac-sha384-192", "HmacSHA384", 48, 24, true),
    HMAC_SHA512_256("hmac-sha512-256", "HmacSHA512", 64, 32, true),
    // Read only, below: opened, never sent.
    HMAC_SHA256_96("hmac-sha256-96", "HmacSHA256", 32, 12, false),
    HMAC_SHA1_96("hmac-sha1-96", "HmacSHA1", 20, 12, false),
    HMAC_MD5_96("hmac-md5-96", "HmacMD5", 16, 12, false);

    private final String configName;
    private final String jcaName;
    private final int keyLength;
    private final int icvLength;
    private final boolean sendable;

    IntegrityAlgorithm(String configName, String jcaName, int keyLength, int icvLength, boolean sendable) {
        this.configName = configName;
        this.jcaName = jcaName;
        this.keyLength = keyLength;
        this.icvLength = icvLength;
        this.sendable = sendable;
    }

    public String configName() {
        return configName;
    }

    /** The JCA {@code Mac} name. */
    public String jcaName() {
        return jcaName;
    }

    /** The key length its specification gives (the hash output); the only one a sending SA may have. */
    public int keyLength() {
        return keyLength;
    }

    /** The truncated ICV carried in each packet. */
    public int icvLength() {
        return icvLength;
    }

    /** True for the contract's RFC 4868 algorithms, which the gateway sends; false for those only opened. */
    public boolean sendable() {
        return sendable;
    }

    /** The algorithm of a config name, or {@code null} when there is none. */
    public static IntegrityAlgorithm of(String configName) {
        for (IntegrityAlgorithm a : values()) {
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
