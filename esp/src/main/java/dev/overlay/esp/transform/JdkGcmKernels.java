package dev.overlay.esp.transform;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * The JDK's own AES-GCM building blocks, reached directly so that a packet costs no object:
 * the expanded AES key ({@code AESCrypt}), the counter ({@code GCTR}), the hash ({@code GHASH})
 * and the combined AES+GHASH loop ({@code GaloisCounterMode.implGCMCrypt0}), each of which
 * HotSpot replaces with its AES-NI / VAES / PCLMULQDQ intrinsic.
 *
 * <p>Why: the JCA's {@code Cipher.init} builds a new GCM engine (GCTR, GHASH, their arrays,
 * the parameter spec, a key copy) for every nonce, about 1.1 KB per packet, and ESP needs a new
 * nonce per packet. There is no public way to re-nonce without that; writing our own GCM loses
 * the intrinsics (a carry-less multiply is not reachable from Java). The objects here are built
 * once per SA and reset per packet, which is what the JDK itself would do if its API allowed.
 *
 * <p>These are JDK internals ({@code com.sun.crypto.provider}, package-private): they need
 * {@code --add-opens java.base/com.sun.crypto.provider=ALL-UNNAMED} (bin/overlay's jar manifest,
 * the test and benchmark JVMs have it) and a JDK whose internals have the shapes of JDK 25.
 * When either is missing, {@link #AVAILABLE} is false, {@link #UNAVAILABLE_BECAUSE} says why,
 * and {@link Aeads} uses the JCA path instead: slower by the allocation, never wrong.
 */
final class JdkGcmKernels {
    static final boolean AVAILABLE;
    /** One sentence when unavailable; null when available. */
    static final String UNAVAILABLE_BECAUSE;

    /** {@code new AESCrypt()}: () -> Object. */
    static final MethodHandle NEW_AES;
    /** {@code AESCrypt.init(boolean decrypting, String algorithm, byte[] key)}: (Object, boolean, String, byte[]) -> void. */
    static final MethodHandle AES_INIT;
    /** {@code AESCrypt.encryptBlock(in, inOfs, out, outOfs)}: (Object, byte[], int, byte[], int) -> void. */
    static final MethodHandle AES_ENCRYPT_BLOCK;
    /** {@code AESCrypt.sessionK}: the expanded encryption and decryption keys, to wipe. */
    static final MethodHandle AES_SESSION_KEYS;
    /** {@code AESCrypt.lastKey}: AESCrypt's copy of the key, to wipe. */
    static final MethodHandle AES_LAST_KEY;
    /** {@code new GCTR(SymmetricCipher, byte[] initialCounterBlock)}: (Object, byte[]) -> Object; GCTR keeps the array. */
    static final MethodHandle NEW_GCTR;
    /** {@code CounterMode.reset()}: the counter := the initial counter block (re-read from the kept array). */
    static final MethodHandle GCTR_RESET;
    /**
     * {@code CounterMode.encrypt(in, inOfs, inLen, out, outOfs)} on the GCTR: any length, the last
     * block partial. Not GCTR.update, which wraps the counter in a new ByteBuffer per call to
     * check for 32-bit roll-over: the 128-bit increment here equals GCM's inc32 as long as the
     * low word does not wrap, which takes 2^32 - 2 blocks from 2; an int length (under 2^27
     * blocks; an ESP packet at most 4,096) never gets there.
     */
    static final MethodHandle CTR_CRYPT;
    /** {@code new GHASH(byte[] subkeyH)}: (byte[]) -> Object. */
    static final MethodHandle NEW_GHASH;
    /** {@code GHASH.update(in, inOfs, inLen)}: whole blocks only, returns the bytes done. */
    static final MethodHandle GHASH_UPDATE;
    /** {@code GHASH.state}: the running hash, two big-endian longs; zeroed to start a message. */
    static final MethodHandle GHASH_STATE;
    /** {@code GHASH.subkeyHtbl}: H and its powers, to wipe. */
    static final MethodHandle GHASH_SUBKEYS;
    /**
     * {@code GaloisCounterMode.implGCMCrypt0(in, inOfs, inLen, ct, ctOfs, out, outOfs, gctr, ghash)}:
     * CTR and GHASH in one pass over a multiple of 512 bytes; returns the bytes done (maybe fewer).
     */
    static final MethodHandle GCM_CRYPT;

    static {
        MethodHandle[] h = new MethodHandle[13];
        String because = null;
        try {
            resolve(h);
        } catch (IllegalAccessException e) {
            because = "the JDK's GCM internals are not open to us (the JVM needs"
                    + " --add-opens java.base/com.sun.crypto.provider=ALL-UNNAMED; " + e.getMessage() + ")";
        } catch (ReflectiveOperationException | RuntimeException e) {
            because = "this JDK's GCM internals do not have the shapes of JDK 25 (" + e + ")";
        }
        AVAILABLE = because == null;
        UNAVAILABLE_BECAUSE = because;
        NEW_AES = h[0];
        AES_INIT = h[1];
        AES_ENCRYPT_BLOCK = h[2];
        AES_SESSION_KEYS = h[3];
        NEW_GCTR = h[4];
        GCTR_RESET = h[5];
        CTR_CRYPT = h[6];
        NEW_GHASH = h[7];
        GHASH_UPDATE = h[8];
        GHASH_STATE = h[9];
        GHASH_SUBKEYS = h[10];
        GCM_CRYPT = h[11];
        AES_LAST_KEY = h[12];
    }

    private JdkGcmKernels() {
    }

    /** Every handle erased to Object for the provider's package-private types, so callers can invokeExact. */
    private static void resolve(MethodHandle[] h) throws ReflectiveOperationException {
        String p = "com.sun.crypto.provider.";
        Class<?> aes = Class.forName(p + "AESCrypt");
        Class<?> symmetric = Class.forName(p + "SymmetricCipher");
        Class<?> counterMode = Class.forName(p + "CounterMode");
        Class<?> gctr = Class.forName(p + "GCTR");
        Class<?> ghash = Class.forName(p + "GHASH");
        Class<?> gcm = Class.forName(p + "GaloisCounterMode");
        // One lookup per class: a private lookup reaches the private members of its own class only.
        MethodHandles.Lookup l = MethodHandles.privateLookupIn(aes, MethodHandles.lookup());
        MethodHandles.Lookup lg = MethodHandles.privateLookupIn(ghash, MethodHandles.lookup());
        MethodHandles.Lookup lm = MethodHandles.privateLookupIn(gcm, MethodHandles.lookup());
        MethodType crypt = MethodType.methodType(int.class, byte[].class, int.class, int.class, byte[].class, int.class);
        h[0] = erase(l.findConstructor(aes, MethodType.methodType(void.class)));
        h[1] = erase(l.findVirtual(aes, "init", MethodType.methodType(void.class, boolean.class, String.class, byte[].class)));
        h[2] = erase(l.findVirtual(aes, "encryptBlock",
                MethodType.methodType(void.class, byte[].class, int.class, byte[].class, int.class)));
        h[3] = erase(l.findGetter(aes, "sessionK", int[][].class));
        h[4] = erase(l.findConstructor(gctr, MethodType.methodType(void.class, symmetric, byte[].class)));
        h[5] = erase(l.findVirtual(counterMode, "reset", MethodType.methodType(void.class)));
        h[6] = erase(l.findVirtual(counterMode, "encrypt", crypt));
        h[7] = erase(l.findConstructor(ghash, MethodType.methodType(void.class, byte[].class)));
        h[8] = erase(l.findVirtual(ghash, "update", MethodType.methodType(int.class, byte[].class, int.class, int.class)));
        h[9] = erase(lg.findGetter(ghash, "state", long[].class));
        h[10] = erase(lg.findGetter(ghash, "subkeyHtbl", long[].class));
        h[11] = erase(lm.findStatic(gcm, "implGCMCrypt0", MethodType.methodType(int.class, byte[].class, int.class,
                int.class, byte[].class, int.class, byte[].class, int.class, gctr, ghash)));
        h[12] = erase(l.findGetter(aes, "lastKey", byte[].class));
    }

    /** The handle with every provider-private parameter and return type seen as Object. */
    private static MethodHandle erase(MethodHandle m) {
        MethodType t = m.type();
        for (int i = 0; i < t.parameterCount(); i++) {
            if (t.parameterType(i).getName().startsWith("com.sun.crypto.provider.")) {
                t = t.changeParameterType(i, Object.class);
            }
        }
        if (t.returnType().getName().startsWith("com.sun.crypto.provider.")) {
            t = t.changeReturnType(Object.class);
        }
        return m.asType(t);
    }
}
