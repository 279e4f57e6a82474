package dev.overlay.cluster;

import dev.overlay.esp.EspAlgorithm;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.XECPublicKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPublicKeySpec;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.KDF;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.spec.HKDFParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * How two gateways agree on SA keys and SPIs without either key entering etcd.
 *
 * <p>Each gateway makes a fresh X25519 key pair (RFC 7748) at every process start and publishes
 * the public half. For traffic from sender S to receiver R carrying one tenant (encapsulation
 * and VNI) in R's inbound generation g, both compute
 *
 * <pre>
 * shared = X25519(own private, other's public)                    (the same on both sides)
 * PRK    = HKDF-Extract(salt = cluster PSK or none, IKM = shared)  (RFC 5869 2.2)
 * key    = HKDF-Expand(PRK, info, L)                               (RFC 5869 2.3)
 * info   = "overlay-cluster-v1 sa" | prefix | pub(S) | pub(R) | encapsulation | VNI | g | algorithm
 * </pre>
 *
 * with L the algorithm's key and salt length. Each part of {@code info} that varies in length is
 * preceded by its length, so no two inputs encode alike. Naming S before R separates the two
 * directions; the prefix separates overlays that share gateways; the generation separates
 * rollovers. A fresh key pair per process start means a restarted gateway never derives a key it
 * used before, so its ESP sequence numbers (the AES-GCM nonce) may start at 1 again without
 * reusing a nonce.
 *
 * <p>SPIs are not derived from the secret but laid out (32 bits), so that they are unique by
 * construction both among a receiver's inbound SAs and among a sender's outbound SAs:
 *
 * <pre>
 * | receiver id (11) | sender id (11) | receiver's tenant slot (9) | generation parity (1) |
 * </pre>
 *
 * Ids are 1..2047, unique in the cluster (claimed in etcd); slots are 0..511, unique among the
 * receiver's tenants; a receiver keeps at most two generations, which differ in parity. The
 * receiver id being at least 1, every SPI is at least 2^21, clear of RFC 4303's reserved 1..255.
 */
final class KeySchedule {
    static final int MAX_ID = 2047;
    static final int MAX_SLOT = 511;
    private static final byte[] LABEL = "overlay-cluster-v1 sa".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PSK_LABEL = "overlay-cluster-v1 psk-id".getBytes(StandardCharsets.US_ASCII);

    private KeySchedule() {
    }

    /** A fresh X25519 key pair from the JDK's default SecureRandom. */
    static KeyPair generate() {
        try {
            return KeyPairGenerator.getInstance("X25519").generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("X25519 is part of every JDK since 11", e);
        }
    }

    /** The 32-byte public value u, little-endian as RFC 7748 section 5 encodes it. */
    static byte[] publicBytes(PublicKey key) {
        BigInteger u = ((XECPublicKey) key).getU();
        byte[] be = u.toByteArray();
        byte[] le = new byte[32];
        for (int i = 0; i < Math.min(32, be.length); i++) {
            le[i] = be[be.length - 1 - i];
        }
        return le;
    }

    /** A public key from its 32-byte encoding; the top bit is masked, as RFC 7748 section 5 asks. */
    static PublicKey publicKey(byte[] raw) {
        if (raw.length != 32) {
            throw new IllegalArgumentException("public key: " + raw.length + " bytes (expected: 32)");
        }
        byte[] be = new byte[32];
        for (int i = 0; i < 32; i++) {
            be[i] = raw[31 - i];
        }
        be[0] &= 0x7F;
        try {
            return KeyFactory.getInstance("X25519")
                    .generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, new BigInteger(1, be)));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("public key: not an X25519 public value", e);
        }
    }

    /**
     * X25519(own, peer). An all-zero result (a peer key of small order, RFC 7748 section 6.1) is
     * refused: it would make the "shared" secret public.
     */
    static byte[] sharedSecret(PrivateKey own, byte[] peerPublic) {
        try {
            KeyAgreement ka = KeyAgreement.getInstance("X25519");
            ka.init(own);
            ka.doPhase(publicKey(peerPublic), true);
            byte[] secret = ka.generateSecret();
            if (isZero(secret)) {
                throw new IllegalArgumentException("public key: of small order (shared secret all zero)");
            }
            return secret;
        } catch (InvalidKeyException e) {
            // The JDK refuses the all-zero result itself.
            throw new IllegalArgumentException("public key: refused by X25519 (" + e.getMessage() + ")", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("X25519", e);
        }
    }

    /** What a derived SA's key is bound to, besides the shared secret. */
    record Binding(String prefix, byte[] senderPublic, byte[] receiverPublic, boolean geneve, int vni,
                   long generation, EspAlgorithm algorithm) {
    }

    /** The key (cipher key then salt, as an SA's {@code key}) for one direction, tenant and generation. */
    static byte[] saKey(byte[] shared, byte[] psk, Binding b) {
        try {
            KDF hkdf = KDF.getInstance("HKDF-SHA256");
            HKDFParameterSpec.Builder extract = HKDFParameterSpec.ofExtract().addIKM(shared);
            if (psk != null) {
                extract.addSalt(psk);
            }
            return hkdf.deriveData(extract.thenExpand(info(b), b.algorithm().keyMaterialLength()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HKDF-SHA256 is part of JDK 25", e);
        }
    }

    static byte[] info(Binding b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(160);
        out.writeBytes(LABEL);
        lengthPrefixed(out, b.prefix().getBytes(StandardCharsets.UTF_8));
        out.writeBytes(b.senderPublic());
        out.writeBytes(b.receiverPublic());
        out.write(b.geneve() ? 1 : 0);
        out.writeBytes(ByteBuffer.allocate(4).putInt(b.vni()).array());
        out.writeBytes(ByteBuffer.allocate(8).putLong(b.generation()).array());
        lengthPrefixed(out, b.algorithm().configName().getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    private static void lengthPrefixed(ByteArrayOutputStream out, byte[] bytes) {
        out.write(bytes.length >>> 8);
        out.write(bytes.length & 0xFF);
        out.writeBytes(bytes);
    }

    /** The SPI of the SA from {@code senderId} to {@code receiverId} for the receiver's tenant slot. */
    static long spi(int receiverId, int senderId, int slot, long generation) {
        checkId("receiver id", receiverId);
        checkId("sender id", senderId);
        if (slot < 0 || slot > MAX_SLOT) {
            throw new IllegalArgumentException("slot: " + slot + " (expected: 0..511)");
        }
        return ((long) receiverId << 21) | ((long) senderId << 10) | ((long) slot << 1) | (generation & 1);
    }

    private static void checkId(String what, int id) {
        if (id < 1 || id > MAX_ID) {
            throw new IllegalArgumentException(what + ": " + id + " (expected: 1..2047)");
        }
    }

    /**
     * A short public tag of the pre-shared key (HMAC-SHA256 under it of a fixed label, 8 bytes
     * hex), so gateways with different PSKs see the mismatch instead of silent integrity drops.
     * It reveals nothing usable about a 32-byte random key; "none" without a PSK.
     */
    static String pskId(byte[] psk) {
        if (psk == null) {
            return "none";
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(psk, "HmacSHA256"));
            return HexFormat.of().formatHex(Arrays.copyOf(mac.doFinal(PSK_LABEL), 8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256", e);
        }
    }

    private static boolean isZero(byte[] b) {
        int acc = 0;
        for (byte x : b) {
            acc |= x;
        }
        return acc == 0;
    }
}
