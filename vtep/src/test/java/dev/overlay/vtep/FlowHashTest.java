package dev.overlay.vtep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.HashSet;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class FlowHashTest {
    private static int hashOf(byte[] frame) {
        return FlowHash.hash(Unpooled.wrappedBuffer(frame), 0, frame.length);
    }

    @Test
    void sameFlowGetsTheSamePortWhateverThePayload() {
        byte[] a = TestPackets.innerFrame(9, 1234, 80, 10);
        byte[] b = TestPackets.innerFrame(9, 1234, 80, 900);
        assertEquals(FlowHash.sourcePort(hashOf(a)), FlowHash.sourcePort(hashOf(b)));
        assertNotEquals(hashOf(a), hashOf(TestPackets.innerFrame(9, 1235, 80, 10)));
        assertNotEquals(hashOf(a), hashOf(TestPackets.innerFrame(10, 1234, 80, 10)));
    }

    /** No random seed: encode output is reproducible across runs and machines. */
    @Test
    void hashIsStableAcrossRuns() {
        assertEquals(0xBB1D8F32, hashOf(TestPackets.innerFrame(9, 1234, 80, 10)));
    }

    @Test
    void fragmentsOfOneFlowHashAlike() {
        byte[] first = TestPackets.innerFrame(9, 1234, 80, 10);
        byte[] later = first.clone();
        first[14 + 6] = 0x20; // MF
        later[14 + 6] = 0x00;
        later[14 + 7] = 0x10; // offset, no ports in this one
        later[34] = 0x55;
        assertEquals(hashOf(first), hashOf(later));
    }

    @Test
    void nonIpFramesHashOnMacsAndEthertype() {
        byte[] arp = TestPackets.innerFrame(9, 1234, 80, 10);
        arp[12] = 0x08;
        arp[13] = 0x06;
        byte[] other = arp.clone();
        other[40] ^= 1; // the body does not matter
        assertEquals(hashOf(arp), hashOf(other));
        other[11] ^= 1; // the source MAC does
        assertNotEquals(hashOf(arp), hashOf(other));
    }

    /** 20,000 flows over 64 port buckets: chi-square under the 99.9% point for 63 d.f. (103.4). */
    @Test
    void distinctFlowsSpreadOverTheDynamicRange() {
        int buckets = 64;
        int flows = 20_000;
        int[] count = new int[buckets];
        Set<Integer> ports = new HashSet<>();
        for (int i = 0; i < flows; i++) {
            int port = FlowHash.sourcePort(hashOf(TestPackets.innerFrame(i % 200, 1024 + i / 200, 443,
                    0)));
            count[(port - FlowHash.MIN_SOURCE_PORT) * buckets / 16384]++;
            ports.add(port);
        }
        double expected = (double) flows / buckets;
        double chi2 = 0;
        for (int c : count) {
            chi2 += (c - expected) * (c - expected) / expected;
        }
        assertTrue(chi2 < 103.4, "chi-square " + chi2);
        assertTrue(ports.size() > 11_000, "distinct ports " + ports.size());
    }

    @Property
    void portsStayInTheDynamicRangeAndLabelsAreNonZero(@ForAll int hash) {
        int port = FlowHash.sourcePort(hash);
        assertTrue(port >= 49152 && port <= 65535);
        int label = FlowHash.ipv6FlowLabel(hash);
        assertTrue(label > 0 && label <= 0xFFFFF);
    }

    @Property
    void anyFrameHashesWithoutThrowing(@ForAll @Size(max = 100) byte[] frame) {
        ByteBuf buf = Unpooled.wrappedBuffer(frame);
        assertEquals(FlowHash.hash(buf, 0, frame.length), FlowHash.hash(buf, 0, frame.length));
    }
}
