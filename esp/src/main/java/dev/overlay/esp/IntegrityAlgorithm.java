package dev.overlay.esp;

/**
 * The separate integrity transforms of the contract's {@code integrity} key, used with
 * {@code aes-cbc-*} (required) and {@code null} (optional): HMAC-SHA-2 truncated to half the
 * hash as RFC 4868 section 2.3 specifies, with a key as long as the hash output (section 2.1.1).
 */
public enum IntegrityAlgorithm {
    HMAC_SHA256_128("hmac-sha256-128", "HmacSHA256", 32, 16),
    HMAC_SHA384_192("hmac-sha384-192", "HmacSHA384", 48, 24),
    HMAC_SHA512_256("hmac-sha512-256", "HmacSHA512", 64, 32);

    private final String configName;
    private final String jcaName;
    private final int keyLength;
    private final int icvLength;

    IntegrityAlgorithm(String configName, String jcaName, int keyLength, int icvLength) {
        this.configName = configName;
        this.jcaName = jcaName;
        this.keyLength = keyLength;
        this.icvLength = icvLength;
    }

    public String configName() {
        return configName;
    }

    /** The JCA {@code Mac} name. */
    public String jcaName() {
        return jcaName;
    }

    public int keyLength() {
        return keyLength;
    }

    /** The truncated ICV carried in each packet. */
    public int icvLength() {
        return icvLength;
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
