package dev.overlay.esp.transform;

import dev.overlay.esp.EspAlgorithm;
import dev.overlay.esp.IntegrityAlgorithm;
import io.netty.buffer.ByteBuf;
import java.util.Arrays;

/**
 * One SA's cryptography over an ESP packet laid out in a {@link ByteBuf} (RFC 4303 2):
 *
 * <pre>
 * start      SPI (4) | Sequence Number low 32 bits (4)
 * start + 8  IV (ivLength)
 *            payload | padding | pad length (1) | next header (1)    ... up to end
 * end        ICV (icvLength)
 * </pre>
 *
 * The caller writes the header and trailer and owns sequence numbers and replay; a transform
 * writes the IV, encrypts and computes the ICV (seal) or verifies it and decrypts (open).
 * With ESN the high 32 bits are authenticated but not sent (RFC 4303 2.2.1). Thread-confined.
 */
public abstract class EspTransform implements AutoCloseable {
    private final EspAlgorithm algorithm;
    private final int icvLength;
    /** Where sealed packets' IVs come from; null for NULL encryption, which has none. */
    private final IvSource ivSource;
    /** SPI || [seq high] || seq low: the AEAD AAD of RFC 4106 5, RFC 4309 5, RFC 7634 2.1. */
    final byte[] aad = new byte[12];
    /** The explicit IV of the packet being sealed (or, for CBC, opened); zeroed by {@link #close()}. */
    final byte[] iv;

    EspTransform(EspAlgorithm algorithm, int icvLength, IvSource ivSource) {
        this.algorithm = algorithm;
        this.icvLength = icvLength;
        this.ivSource = ivSource;
        this.iv = new byte[algorithm.ivLength()];
    }

    /**
     * The transform of an SA. {@code keyMaterial} is key then salt; {@code integrity} is for
     * the CIPHER algorithms only (CBC, CTR, NULL), else {@code null}. IVs come from
     * {@code ivSource}, or by default the sequence number for the counter modes (the AEADs, CTR)
     * and {@link IvSource#unpredictable()} for CBC.
     */
    public static EspTransform create(EspAlgorithm algorithm, byte[] keyMaterial, int icvLength,
                                      IntegrityAlgorithm integrity, byte[] integrityKey, IvSource ivSource) {
        byte[] key = Arrays.copyOf(keyMaterial, algorithm.keyLength());
        byte[] salt = Arrays.copyOfRange(keyMaterial, algorithm.keyLength(), keyMaterial.length);
        IvSource ivs = ivSource != null || algorithm == EspAlgorithm.NULL ? ivSource
                : algorithm.sequenceIsNonce() ? IvSource.SEQUENCE : IvSource.unpredictable();
        try {
            return switch (algorithm) {
                case AES_GCM_128, AES_GCM_192, AES_GCM_256 ->
                        new AeadTransform(algorithm, Aeads.gcm(key, salt, icvLength), ivs);
                case AES_CCM_128, AES_CCM_192, AES_CCM_256 ->
                        new AeadTransform(algorithm, Aeads.ccm(key, salt, icvLength), ivs);
                case CHACHA20_POLY1305 -> new AeadTransform(algorithm, Aeads.chaCha20Poly1305(key, salt), ivs);
                case AES_GMAC_128, AES_GMAC_192, AES_GMAC_256 -> new GmacTransform(algorithm, Aeads.gmac(key, salt), ivs);
                case AES_CBC_128, AES_CBC_192, AES_CBC_256, AES_CTR_128, AES_CTR_192, AES_CTR_256, TRIPLE_DES_CBC,
                     DES_CBC, NULL -> new CipherHmacTransform(algorithm, key, salt, integrity, integrityKey, ivs);
            };
        } finally {
            Arrays.fill(key, (byte) 0);
            Arrays.fill(salt, (byte) 0);
        }
    }

    public final EspAlgorithm algorithm() {
        return algorithm;
    }

    public final int ivLength() {
        return algorithm.ivLength();
    }

    public final int icvLength() {
        return icvLength;
    }

    /** Writes the IV at {@code start + 8}, encrypts {@code [start + 8 + ivLength, end)}, writes the ICV at {@code end}. */
    public abstract void seal(ByteBuf buf, int start, int end, long sequence, boolean esn);

    /** Verifies the ICV at {@code end}, then decrypts in place; false when it does not verify. */
    public abstract boolean open(ByteBuf buf, int start, int end, long sequence, boolean esn);

    /** Zeroes the key copies this transform holds; subclasses zero theirs, then call this. */
    @Override
    public void close() {
        Arrays.fill(iv, (byte) 0);
    }

    /** Draws the next IV into {@link #iv} and writes it after the header, at {@code start + 8} (RFC 4303 2.3). */
    final void writeIv(ByteBuf buf, int start, long sequence) {
        ivSource.next(sequence, iv);
        buf.setBytes(start + 8, iv);
    }

    /** Fills {@link #aad} from the packet's header and returns its length (8, or 12 with ESN). */
    final int aad(ByteBuf buf, int start, long sequence, boolean esn) {
        putInt(aad, 0, buf.getInt(start));
        if (!esn) {
            putInt(aad, 4, buf.getInt(start + 4));
            return 8;
        }
        putInt(aad, 4, (int) (sequence >>> 32));
        putInt(aad, 8, buf.getInt(start + 4));
        return 12;
    }

    static void putInt(byte[] b, int o, int v) {
        b[o] = (byte) (v >>> 24);
        b[o + 1] = (byte) (v >>> 16);
        b[o + 2] = (byte) (v >>> 8);
        b[o + 3] = (byte) v;
    }
}
