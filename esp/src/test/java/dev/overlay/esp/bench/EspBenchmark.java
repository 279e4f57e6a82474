package dev.overlay.esp.bench;

import dev.overlay.esp.EspAlgorithm;
import dev.overlay.esp.EspDecrypt;
import dev.overlay.esp.EspDrop;
import dev.overlay.esp.EspEncrypt;
import dev.overlay.esp.EspResult;
import dev.overlay.esp.InboundSaState;
import dev.overlay.esp.IntegrityAlgorithm;
import dev.overlay.esp.OutboundSaState;
import dev.overlay.esp.SecurityAssociation;
import dev.overlay.esp.transform.Aead;
import dev.overlay.esp.transform.Aeads;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * ESP seal and open per transform and payload size, against the raw JDK AES-GCM on the same
 * bytes (the ceiling: {@code Cipher.init} + {@code doFinal} on ByteBuffers of the same kind), and our
 * AES-CCM against Bouncy Castle's; direct and heap buffers.
 *
 * <p>{@code open} restores the ciphertext from a copy before each call (the open decrypts in
 * place) with the replay window off; that copy (one memcpy of the packet) is inside the
 * measured time and makes the open figures slightly pessimistic.
 *
 * <p>Run: {@code bin/bench}, or {@code java -cp <test classpath> org.openjdk.jmh.Main EspBenchmark -prof gc}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class EspBenchmark {

    @Param({"aes-gcm-256", "aes-gcm-128", "aes-ccm-128", "chacha20-poly1305", "aes-gmac-256",
            "aes-cbc-256+hmac-sha256-128", "null+hmac-sha256-128"})
    public String transform;

    @Param({"64", "512", "1400"})
    public int size;

    /** Direct buffers (Netty socket I/O) or heap buffers: the JDK's GCM allocates differently for each. */
    @Param({"true", "false"})
    public boolean direct;

    private OutboundSaState out;
    private InboundSaState in;
    private ByteBuf sealBuf;
    private ByteBuf openBuf;
    private ByteBuf sealedCopy;
    private int headroom;
    private final EspResult result = new EspResult();

    // Raw JDK AES-GCM-256 baseline.
    private Cipher gcm;
    private SecretKeySpec gcmKey;
    private final byte[] nonce = new byte[12];
    private final byte[] decryptNonce = new byte[12];
    private final byte[] aad = new byte[8];
    private ByteBuffer plain;
    private ByteBuffer cipherText;
    private ByteBuffer sealedBaseline;
    private ByteBuffer opened;
    /** Starts past the nonce the setup used: the JDK refuses to encrypt twice under one key and nonce. */
    private long counter = 1 << 20;

    // CCM: ours against Bouncy Castle's.
    private Aead ownCcm;
    private Aead bcCcm;
    private ByteBuf ccmBuf;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        String[] parts = transform.split("\\+");
        EspAlgorithm algorithm = EspAlgorithm.of(parts[0]);
        IntegrityAlgorithm integrity = parts.length > 1 ? IntegrityAlgorithm.of(parts[1]) : null;
        int icv = algorithm.combined() ? 16 : integrity.icvLength();
        byte[] key = new byte[algorithm.keyMaterialLength()];
        byte[] integrityKey = integrity == null ? null : new byte[integrity.keyLength()];
        SecurityAssociation sa = new SecurityAssociation(0x1001, SecurityAssociation.Direction.OUT, algorithm, icv,
                key, integrity, integrityKey, SecurityAssociation.Mode.TRANSPORT, false, 0, 0,
                SecurityAssociation.Lifetime.UNLIMITED, List.of(), null);
        out = new OutboundSaState(sa);
        in = new InboundSaState(sa);
        headroom = EspEncrypt.headroom(algorithm);
        int capacity = headroom + size + EspEncrypt.maxTrailer(sa);
        sealBuf = buffer(capacity);
        openBuf = buffer(capacity);
        sealBuf.setIndex(headroom, headroom + size);
        if (EspEncrypt.seal(out, sealBuf, 17) != null) {
            throw new IllegalStateException("seal failed");
        }
        sealedCopy = buffer(capacity).writeBytes(sealBuf, sealBuf.readerIndex(), sealBuf.readableBytes());

        gcm = Cipher.getInstance("AES/GCM/NoPadding");
        gcmKey = new SecretKeySpec(new byte[32], "AES");
        plain = nio(size);
        cipherText = nio(size + 16);
        opened = nio(size);
        decryptNonce[11] = 1;
        gcm.init(Cipher.ENCRYPT_MODE, gcmKey, new GCMParameterSpec(128, decryptNonce));
        gcm.updateAAD(aad);
        sealedBaseline = nio(size + 16);
        gcm.doFinal(plain.duplicate(), sealedBaseline);
        sealedBaseline.flip();

        ownCcm = Aeads.ccm(new byte[16], new byte[3], 16);
        bcCcm = Aeads.bouncyCastleCcm(new byte[16], new byte[3], 16);
        ccmBuf = buffer(size + 16).writerIndex(size + 16);
    }

    private ByteBuf buffer(int capacity) {
        return direct ? Unpooled.directBuffer(capacity) : Unpooled.buffer(capacity);
    }

    private ByteBuffer nio(int capacity) {
        return direct ? ByteBuffer.allocateDirect(capacity) : ByteBuffer.allocate(capacity);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        out.close();
        in.close();
        sealBuf.release();
        openBuf.release();
        sealedCopy.release();
        ccmBuf.release();
        ownCcm.close();
        bcCcm.close();
    }

    @Benchmark
    public EspDrop seal() {
        sealBuf.setIndex(headroom, headroom + size);
        return EspEncrypt.seal(out, sealBuf, 17);
    }

    @Benchmark
    public EspDrop open() {
        openBuf.setIndex(0, 0);
        openBuf.writeBytes(sealedCopy, 0, sealedCopy.writerIndex());
        return EspDecrypt.open(in, openBuf, result);
    }

    /** The ceiling for aes-gcm-256 seal: what the JDK does alone for one packet of this size. */
    @Benchmark
    public int jdkGcm256Encrypt() throws Exception {
        long c = ++counter;
        for (int i = 0; i < 8; i++) {
            nonce[4 + i] = (byte) (c >>> (56 - 8 * i));
        }
        gcm.init(Cipher.ENCRYPT_MODE, gcmKey, new GCMParameterSpec(128, nonce));
        gcm.updateAAD(aad);
        plain.clear();
        cipherText.clear();
        return gcm.doFinal(plain, cipherText);
    }

    /** The ceiling for aes-gcm-256 open. */
    @Benchmark
    public int jdkGcm256Decrypt() throws Exception {
        gcm.init(Cipher.DECRYPT_MODE, gcmKey, new GCMParameterSpec(128, decryptNonce));
        gcm.updateAAD(aad);
        sealedBaseline.rewind();
        opened.clear();
        return gcm.doFinal(sealedBaseline, opened);
    }

    @Benchmark
    public ByteBuf ccmOwnSeal() {
        ownCcm.seal(++counter, aad, 8, ccmBuf, 0, size);
        return ccmBuf;
    }

    @Benchmark
    public ByteBuf ccmBouncyCastleSeal() {
        bcCcm.seal(++counter, aad, 8, ccmBuf, 0, size);
        return ccmBuf;
    }
}
