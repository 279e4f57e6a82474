package dev.overlay.datapath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Software GRO on whatever a tenant's stream may hold: valid segments of two flows, some with a
 * header byte changed (checksums refilled or left wrong), some cut short, in any order. Whatever
 * the input, nothing throws, every frame offered leaves exactly once, a train's segments leave
 * in the order they were offered, and a train is made only of frames of equal header length
 * whose payloads but the last are equal.
 */
class TcpCoalescerPropertyTest {
    private static final ByteBufAllocator ALLOC = UnpooledByteBufAllocator.DEFAULT;
    private static final int HEADERS = 14 + 20 + 32;

    /** One offered frame: which flow, its place in that flow's stream, and what is done to it. */
    @Property(tries = 400)
    void everyFrameLeavesOnceAndTrainsKeepOfferOrder(
            @ForAll @Size(min = 1, max = 80) List<@IntRange(min = 0, max = 1) Integer> flows,
            @ForAll @Size(min = 1, max = 80) List<@IntRange(min = -1, max = HEADERS + 8) Integer> changedByte,
            @ForAll @Size(min = 1, max = 80) List<@IntRange(min = 0, max = 3) Integer> treatment) {
        List<ByteBuf> offered = new ArrayList<>();
        Map<ByteBuf, Integer> order = new IdentityHashMap<>();
        List<List<ByteBuf>> left = new ArrayList<>();
        TcpCoalescer coalescer = new TcpCoalescer(new TcpCoalescer.Output() {
            @Override
            public void frame(ByteBuf frame) {
                left.add(List.of(frame));
            }

            @Override
            public void train(ByteBuf[] parts, int count, boolean v6, int headerLength, int gsoSize, int l4) {
                List<ByteBuf> train = new ArrayList<>();
                for (int i = 0; i < count; i++) {
                    train.add(parts[i]);
                }
                left.add(train);
                assertTrue(count >= 2 && count <= TcpCoalescer.MAX_SEGMENTS);
                for (int i = 1; i < count; i++) {
                    // The others' readers were moved past their headers: only payload is left.
                    assertTrue(parts[i].readableBytes() <= gsoSize, "a later segment no longer than the first's payload");
                    if (i < count - 1) {
                        assertEquals(gsoSize, parts[i].readableBytes(), "all but the last of one size");
                    }
                }
            }
        });
        long[] next = {1000, 900_000};
        int n = Math.min(flows.size(), Math.min(changedByte.size(), treatment.size()));
        for (int i = 0; i < n; i++) {
            int flow = flows.get(i);
            int payload = treatment.get(i) == 3 ? 300 : 1000; // a short one ends a train
            ByteBuf frame = segment(flow, next[flow], payload);
            next[flow] += payload;
            int at = changedByte.get(i);
            if (at >= 0 && at < frame.readableBytes()) {
                frame.setByte(frame.readerIndex() + at, frame.getByte(frame.readerIndex() + at) ^ 0x41);
                if (treatment.get(i) == 1) {
                    refillChecksums(frame);
                }
            }
            if (treatment.get(i) == 2) {
                frame.writerIndex(frame.readerIndex() + Math.min(frame.readableBytes(), at < 0 ? 20 : at));
            }
            order.put(frame, i);
            offered.add(frame);
            coalescer.offer(frame);
        }
        coalescer.flush();
        assertEquals(0, coalescer.held());
        Map<ByteBuf, Boolean> seen = new IdentityHashMap<>();
        for (List<ByteBuf> out : left) {
            int last = -1;
            for (ByteBuf b : out) {
                assertTrue(order.containsKey(b), "only frames that were offered");
                assertTrue(seen.put(b, true) == null, "each frame once");
                assertTrue(order.get(b) > last, "a train in offer order");
                last = order.get(b);
            }
        }
        assertEquals(offered.size(), seen.size(), "every frame offered left");
        offered.forEach(ByteBuf::release);
    }

    /** A valid 1-segment frame of flow 0 or 1 (ports differ): IPv4, TCP ACK with timestamps. */
    private static ByteBuf segment(int flow, long seq, int payload) {
        ByteBuffer b = ByteBuffer.allocate(HEADERS + payload);
        b.put(HexFormat.of().parseHex("02000000000202000000000108004500"));
        b.putShort((short) (20 + 32 + payload)).putShort((short) 7).putShort((short) 0x4000);
        b.put((byte) 64).put((byte) 6).putShort((short) 0);
        b.put(new byte[] {10, 0, 0, 1, 10, 0, 0, 2});
        b.putShort((short) (40000 + flow)).putShort((short) 5201).putInt((int) seq).putInt(1000);
        b.put((byte) (32 / 4 << 4)).put((byte) 0x10).putShort((short) 502).putShort((short) 0).putShort((short) 0);
        b.put(new byte[] {1, 1, 8, 10, 0, 0, 0, 5, 0, 0, 0, 6});
        for (int i = 0; i < payload; i++) {
            b.put((byte) (seq + i));
        }
        ByteBuf frame = ALLOC.directBuffer(HEADERS + payload + 64);
        frame.setIndex(16, 16).writeBytes(b.array());
        refillChecksums(frame);
        return frame;
    }

    /** The IPv4 header and TCP checksums recomputed over what the frame now holds (if it still parses). */
    private static void refillChecksums(ByteBuf f) {
        int base = f.readerIndex();
        int length = f.readableBytes();
        if (length < HEADERS || f.getUnsignedShort(base + 12) != 0x0800) {
            return;
        }
        int l3 = base + 14;
        f.setShort(l3 + 10, 0);
        f.setShort(l3 + 10, dev.overlay.vtep.InternetChecksum.checksum(f, l3, 20));
        int l4 = l3 + 20;
        int tcpLength = length - 34;
        f.setShort(l4 + 16, 0);
        long sum = dev.overlay.vtep.InternetChecksum.partial(f, l3 + 12, 8) + 6 + tcpLength
                + dev.overlay.vtep.InternetChecksum.partial(f, l4, tcpLength);
        f.setShort(l4 + 16, ~dev.overlay.vtep.InternetChecksum.fold(sum) & 0xFFFF);
    }
}
