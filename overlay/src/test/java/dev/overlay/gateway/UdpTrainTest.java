package dev.overlay.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** The shape of a train: what UDP_SEGMENT can send (udp(7): all segments gso_size but the last). */
class UdpTrainTest {
    private static final InetSocketAddress P = new InetSocketAddress("192.0.2.1", 4500);
    private static final InetSocketAddress Q = new InetSocketAddress("192.0.2.2", 4500);

    /**
     * Any sequence of datagrams to two peers, joined as the underlay joins them: the trains hold
     * every datagram once, in order; within a train one peer, all of the segment size but a
     * shorter last, at most 64 and at most maxBytes.
     */
    @Property(tries = 300)
    void trainsKeepOrderAndHaveTheShapeUdpSegmentNeeds(
            @ForAll @Size(max = 300) List<@IntRange(min = 4, max = 1600) Integer> lengths,
            @ForAll @Size(max = 300) List<Boolean> toQ) {
        UdpTrain train = new UdpTrain(1472, 20_000);
        List<List<ByteBuf>> trains = new ArrayList<>();
        List<ByteBuf> in = new ArrayList<>();
        for (int i = 0; i < lengths.size(); i++) {
            InetSocketAddress to = i < toQ.size() && toQ.get(i) ? Q : P;
            ByteBuf d = UnpooledByteBufAllocator.DEFAULT.heapBuffer(lengths.get(i)).writerIndex(lengths.get(i));
            d.setInt(0, i);
            in.add(d);
            if (!train.continues(null, to, d.readableBytes())) {
                trains.add(drain(train));
            }
            if (!train.fits(d.readableBytes())) {
                trains.add(List.of(d)); // goes alone
                continue;
            }
            train.add(null, d, to);
            assertEquals(to, train.to());
            if (train.full()) {
                trains.add(drain(train));
            }
        }
        trains.add(drain(train));
        List<ByteBuf> out = new ArrayList<>();
        for (List<ByteBuf> t : trains) {
            out.addAll(t);
            if (t.size() > 1) {
                int segment = t.get(0).readableBytes();
                assertTrue(segment <= 1472);
                assertTrue(t.size() <= UdpTrain.MAX_SEGMENTS);
                assertTrue(t.stream().mapToInt(ByteBuf::readableBytes).sum() <= 20_000);
                for (int k = 1; k < t.size(); k++) {
                    int len = t.get(k).readableBytes();
                    assertTrue(k == t.size() - 1 ? len <= segment : len == segment, "segment " + k + " of " + t.size());
                }
            }
        }
        assertEquals(in, out);
    }

    @Property(tries = 50)
    void aShorterDatagramEndsTheTrain(@ForAll @IntRange(min = 5, max = 1472) int segment,
                                      @ForAll @IntRange(min = 1, max = 63) int count) {
        UdpTrain train = new UdpTrain(1472, 65507);
        for (int i = 0; i < count; i++) {
            train.add(null, UnpooledByteBufAllocator.DEFAULT.heapBuffer(segment).writerIndex(segment), P);
        }
        assertFalse(train.full() && count < UdpTrain.MAX_SEGMENTS && count * segment + segment <= 65507);
        // A shorter datagram joins only while the train has room for it (65507 bytes, 64 segments).
        boolean room = count < UdpTrain.MAX_SEGMENTS && count * segment + segment - 1 <= 65507;
        assertEquals(room, train.continues(null, P, segment - 1));
        if (!room) {
            train.release();
            assertEquals(0, train.count());
            return;
        }
        train.add(null, UnpooledByteBufAllocator.DEFAULT.heapBuffer(segment - 1).writerIndex(segment - 1), P);
        assertTrue(train.full());
        assertFalse(train.continues(null, P, 1));
        train.release();
        assertEquals(0, train.count());
    }

    private static List<ByteBuf> drain(UdpTrain train) {
        List<ByteBuf> t = new ArrayList<>();
        for (int i = 0; i < train.count(); i++) {
            t.add(train.part(i));
        }
        for (int i = 0; i < t.size(); i++) {
            train.take(i);
        }
        train.clear();
        return t;
    }
}
