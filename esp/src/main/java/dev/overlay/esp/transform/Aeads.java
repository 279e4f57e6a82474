package dev.overlay.esp.transform;

/**
 * The AEAD implementations, chosen by measurement (numbers in {@code esp/BENCHMARKS.md}):
 * JDK AES-GCM where the JDK accepts the tag length, Bouncy Castle for GCM's 8-byte ICV, our
 * {@link AesCcm} on the JDK's AES for CCM, the JDK's ChaCha20-Poly1305.
 */
public final class Aeads {
    private Aeads() {
    }

    /** AES-GCM, RFC 4106: 4-byte salt, ICV 8, 12 or 16. */
    public static Aead gcm(byte[] key, byte[] salt, int icvLength) {
        return icvLength == 8 ? BcAead.gcm(key, salt, icvLength) : JdkAead.gcm(key, salt, icvLength);
    }

    /** AES-CCM, RFC 4309: 3-byte salt, ICV 8, 12 or 16. */
    public static Aead ccm(byte[] key, byte[] salt, int icvLength) {
        return new AesCcm(key, salt, icvLength);
    }

    /** Bouncy Castle's AES-CCM: the baseline {@link #ccm} is measured against. */
    public static Aead bouncyCastleCcm(byte[] key, byte[] salt, int icvLength) {
        return BcAead.ccm(key, salt, icvLength);
    }

    /** Bouncy Castle's AES-GCM, any ICV 8..16: a baseline and the ICV-8 path. */
    public static Aead bouncyCastleGcm(byte[] key, byte[] salt, int icvLength) {
        return BcAead.gcm(key, salt, icvLength);
    }

    /** ChaCha20-Poly1305, RFC 7634: 4-byte salt, ICV 16. */
    public static Aead chaCha20Poly1305(byte[] key, byte[] salt) {
        return JdkAead.chaCha20Poly1305(key, salt);
    }
}
