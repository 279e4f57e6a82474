package dev.overlay.esp.transform;

/**
 * The AEAD implementations, chosen by measurement (numbers in {@code esp/BENCHMARKS.md}):
 * AES-GCM and GMAC on the JDK's intrinsics reused per SA ({@link JdkGcmAead}, every ICV, no
 * allocation per packet), else through the JCA ({@link JdkAead}, and Bouncy Castle for GCM's
 * 8-byte ICV, which the JCA refuses); our {@link AesCcm} on the JDK's AES for CCM; the JDK's
 * ChaCha20-Poly1305.
 */
public final class Aeads {
    private Aeads() {
    }

    /** AES-GCM, RFC 4106: 4-byte salt, ICV 8, 12 or 16. */
    public static Aead gcm(byte[] key, byte[] salt, int icvLength) {
        if (JdkGcmKernels.AVAILABLE) {
            return new JdkGcmAead(key, salt, icvLength);
        }
        return jcaGcm(key, salt, icvLength);
    }

    /** AES-GCM through the JCA's Cipher (Bouncy Castle for ICV 8): the fallback and a baseline. */
    public static Aead jcaGcm(byte[] key, byte[] salt, int icvLength) {
        return icvLength == 8 ? BcAead.gcm(key, salt, icvLength) : JdkAead.gcm(key, salt, icvLength);
    }

    /** AES-GMAC, RFC 4543: 4-byte salt, ICV 16. */
    static Gmac gmac(byte[] key, byte[] salt) {
        return JdkGcmKernels.AVAILABLE ? new JdkGcmAead(key, salt, 16) : JdkAead.gcm(key, salt, 16);
    }

    /**
     * Which AES-GCM this JVM runs, for the gateway's start-up log and {@code --version}: the
     * allocation-free one, or the JCA and the reason.
     */
    public static String gcmImplementation() {
        return JdkGcmKernels.AVAILABLE ? "jdk-intrinsics (reused per SA, no allocation per packet)"
                : "jca (" + JdkGcmKernels.UNAVAILABLE_BECAUSE + ")";
    }

    /** AES-CCM, RFC 4309: 3-byte salt, ICV 8, 12 or 16. */
    public static Aead ccm(byte[] key, byte[] salt, int icvLength) {
        return new AesCcm(key, salt, icvLength);
    }

    /** Bouncy Castle's AES-CCM: the baseline {@link #ccm} is measured against. */
    public static Aead bouncyCastleCcm(byte[] key, byte[] salt, int icvLength) {
        return BcAead.ccm(key, salt, icvLength);
    }

    /** Bouncy Castle's AES-GCM, any ICV 8..16: a baseline. */
    public static Aead bouncyCastleGcm(byte[] key, byte[] salt, int icvLength) {
        return BcAead.gcm(key, salt, icvLength);
    }

    /** ChaCha20-Poly1305, RFC 7634: 4-byte salt, ICV 16. */
    public static Aead chaCha20Poly1305(byte[] key, byte[] salt) {
        return JdkAead.chaCha20Poly1305(key, salt);
    }
}
