package dev.overlay.datapath.bench;

import dev.overlay.datapath.Buffers;
import dev.overlay.datapath.DropCounts;
import dev.overlay.datapath.OverlayDecap;
import dev.overlay.datapath.OverlayEncap;
import dev.overlay.datapath.Peer;
import dev.overlay.datapath.SaTable;
import dev.overlay.datapath.Tenant;
import dev.overlay.datapath.Topology;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.ByteBuffer;
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
 * The datapath's two pipelines on one core, per packet, with AES-GCM-256 and ESP in UDP over
 * IPv4 (VXLAN tenant), at inner frame lengths of 64, 512 and 1400 bytes:
 *
 * <ul>
 *   <li>{@code encapsulateAndSeal}: an inner frame copied into a buffer with headroom (the copy
 *       a TAP read makes), then {@link OverlayEncap}: flow hash, SA pick, VXLAN header, ESP
 *       (sequence number, padding, AES-GCM in place), UDP, IPv4, Ethernet, all prepended in place</li>
 *   <li>{@code openAndDecapsulate}: a sealed wire packet copied into a receive buffer (the copy a
 *       socket read makes), then {@link OverlayDecap}: outer headers, SPI, anti-replay,
 *       AES-GCM open in place, padding, tenant check, VXLAN, the inner frame left in place</li>
 *   <li>{@code jdkGcm256Encrypt}: the ceiling, the JDK's AES-GCM through the JCA alone on a
 *       payload of the same length (nonce, AAD, encrypt into a direct buffer), as issue 6 and
 *       esp's EspBenchmark compare with</li>
 * </ul>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class DatapathBenchmark {
    @Param({"64", "512", "1400"})
    public int frameLength;

    private SaTable senderSas;
    private SaTable receiverSas;
    private OverlayEncap encap;
    private OverlayDecap decap;
    private Tenant blue;
    private Peer peer;
    private byte[] frame;
    private ByteBuf buf;
    private ByteBuf sealed;
    private final DropCounts drops = new DropCounts();
    private final OverlayDecap.Result result = new OverlayDecap.Result();
    private Cipher jca;
    private SecretKeySpec key;
    private final byte[] nonce = new byte[12];
    private final byte[] aad = new byte[8];
    private ByteBuffer plain;
    private ByteBuffer cipherText;
    private long counter;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        Topology sender = Topology.of(PipelinePackets.sender());
        Topology receiver = Topology.of(PipelinePackets.receiver());
        senderSas = SaTable.of(sender, true);
        receiverSas = SaTable.of(receiver, true);
        encap = new OverlayEncap(sender, senderSas);
        decap = new OverlayDecap(receiver, receiverSas, false);
        blue = sender.tenant("blue");
        peer = sender.peers().get("gw-a");
        frame = PipelinePackets.frame(frameLength, 1);
        buf = PooledByteBufAllocator.DEFAULT.directBuffer(Buffers.HEADROOM + 1400 + Buffers.TAILROOM);
        buf.setIndex(Buffers.HEADROOM, Buffers.HEADROOM).writeBytes(frame);
        if (!encap.encapsulate(buf, blue, peer, drops)) {
            throw new IllegalStateException("encapsulation dropped the frame: " + drops);
        }
        sealed = PooledByteBufAllocator.DEFAULT.directBuffer(buf.readableBytes()).writeBytes(buf);
        jca = Cipher.getInstance("AES/GCM/NoPadding");
        key = new SecretKeySpec(new byte[32], "AES");
        plain = ByteBuffer.allocateDirect(frameLength);
        cipherText = ByteBuffer.allocateDirect(frameLength + 16);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        buf.release();
        sealed.release();
        senderSas.close();
        receiverSas.close();
        if (drops.total() > 0) {
            throw new IllegalStateException("the pipeline dropped packets: " + drops);
        }
    }

    @Benchmark
    public boolean encapsulateAndSeal() {
        buf.setIndex(Buffers.HEADROOM, Buffers.HEADROOM).writeBytes(frame);
        return encap.encapsulate(buf, blue, peer, drops);
    }

    @Benchmark
    public boolean openAndDecapsulate() {
        buf.setIndex(0, 0).writeBytes(sealed, sealed.readerIndex(), sealed.readableBytes());
        return decap.decapsulate(buf, result, drops);
    }

    @Benchmark
    public int jdkGcm256Encrypt() throws Exception {
        long c = ++counter;
        for (int i = 0; i < 8; i++) {
            nonce[4 + i] = (byte) (c >>> (56 - 8 * i));
        }
        jca.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
        jca.updateAAD(aad);
        plain.clear();
        cipherText.clear();
        return jca.doFinal(plain, cipherText);
    }
}
