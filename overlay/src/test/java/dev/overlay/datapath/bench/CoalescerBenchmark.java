package dev.overlay.datapath.bench;

import dev.overlay.datapath.Buffers;
import dev.overlay.datapath.TcpCoalescer;
import dev.overlay.datapath.TcpSegmenter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Software GRO toward a TAP ({@link TcpCoalescer}), per segment: the 47 segments of one 64 KB TSO
 * frame (1,422-byte frames at tenant MTU 1408: IPv4, TCP with timestamps, MSS 1,356, checksums
 * valid), each a slice of one receive buffer as the receiving gateway's worker holds them after
 * decryption, offered in order and flushed as one train. Each operation first puts back what the
 * previous one changed (the readers, and the first header the train's rewrite touched), so it
 * measures the checks (IPv4 header and TCP checksums), the comparisons that let a segment join,
 * and the train's rewrite, divided over its segments. Not measured: the TAP write itself.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class CoalescerBenchmark {
    private static final int SEGMENTS = 47;
    private static final int MSS = 1356;
    private static final int HEADERS = 14 + 20 + 32;

    private ByteBuf receive;
    private ByteBuf[] segments;
    private int[] readers;
    private byte[] firstHeaders;
    private long trains;
    private long frames;
    private final TcpCoalescer coalescer = new TcpCoalescer(new TcpCoalescer.Output() {
        @Override
        public void frame(ByteBuf frame) {
            frames++;
        }

        @Override
        public void train(ByteBuf[] parts, int count, boolean v6, int headerLength, int gsoSize, int l4) {
            trains += count;
        }
    });

    @Setup(Level.Trial)
    public void setUp() {
        PooledByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
        byte[] payload = new byte[SEGMENTS * MSS];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) (i * 7);
        }
        ByteBuf superFrame = alloc.directBuffer(Buffers.HEADROOM + HEADERS + payload.length);
        superFrame.setIndex(Buffers.HEADROOM, Buffers.HEADROOM).writeBytes(ipv4Tcp(payload.length)).writeBytes(payload);
        List<ByteBuf> cut = new ArrayList<>();
        TcpSegmenter.segment(superFrame, -1, MSS, alloc, cut::add);
        superFrame.release();
        if (cut.size() != SEGMENTS) {
            throw new IllegalStateException("expected " + SEGMENTS + " segments, got " + cut.size());
        }
        // One receive buffer holding every segment behind room for outer headers, as a UDP GRO
        // read holds a train of datagrams; each segment a retained slice of it.
        int stride = 64 + HEADERS + MSS + 64;
        receive = alloc.directBuffer(stride * SEGMENTS);
        segments = new ByteBuf[SEGMENTS];
        readers = new int[SEGMENTS];
        for (int i = 0; i < SEGMENTS; i++) {
            ByteBuf s = cut.get(i);
            int at = i * stride + 64;
            receive.setBytes(at, s, s.readerIndex(), s.readableBytes());
            segments[i] = receive.retainedSlice(i * stride, stride).setIndex(64, 64 + s.readableBytes());
            readers[i] = 64;
            s.release();
        }
        firstHeaders = new byte[HEADERS];
        segments[0].getBytes(64, firstHeaders);
    }

    @Benchmark
    @OperationsPerInvocation(SEGMENTS)
    public long offerAndFlush() {
        segments[0].setBytes(readers[0], firstHeaders);
        for (int i = 0; i < SEGMENTS; i++) {
            ByteBuf s = segments[i];
            s.readerIndex(readers[i]);
            coalescer.offer(s);
        }
        coalescer.flush();
        return trains + frames;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (frames != 0 || trains == 0) {
            throw new IllegalStateException("segments left alone: " + frames + ", joined: " + trains);
        }
        for (ByteBuf s : segments) {
            s.release();
        }
        receive.release();
    }

    /** Ethernet, IPv4 (DF; the segmenter fills its checksum), TCP ACK with NOP NOP timestamps. */
    private static byte[] ipv4Tcp(int payload) {
        ByteBuffer b = ByteBuffer.allocate(HEADERS);
        b.put(HexFormat.of().parseHex("02000000000202000000000108004500"));
        b.putShort((short) (20 + 32 + payload)).putShort((short) 0x1234).putShort((short) 0x4000);
        b.put((byte) 64).put((byte) 6).putShort((short) 0);
        b.put(new byte[] {10, 0, 0, 1, 10, 0, 0, 2});
        b.putShort((short) 40000).putShort((short) 5201).putInt(1).putInt(1000);
        b.put((byte) (32 / 4 << 4)).put((byte) 0x10).putShort((short) 502).putShort((short) 0).putShort((short) 0);
        b.put(new byte[] {1, 1, 8, 10, 0, 0, 0, 5, 0, 0, 0, 6});
        return b.array();
    }
}
