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

    private static int symmetricOf(byte[] frame) {
        return FlowHash.symmetric(Unpooled.wrappedBuffer(frame), 0, frame.length);
    }

    /** The same frame sent the other way: MACs, IPv4 addresses and ports swapped. */
    private static byte[] reversed(byte[] frame) {
        byte[] r = frame.clone();
        swap(r, 0, 6, 6);
        swap(r, 14 + 12, 14 + 16, 4);
        swap(r, 34, 36, 2);
        return r;
    }

    private static void swap(byte[] b, int x, int y, int length) {
        for (int i = 0; i < length; i++) {
            byte t = b[x + i];
            b[x + i] = b[y + i];
            b[y + i] = t;
        }
    }

    /** Ethernet, IPv6 (next header {@code next}) from {@code a} to {@code b}, ports, 8 bytes more. */
    private static byte[] ipv6Frame(byte[] a, byte[] b, int next, int sourcePort, int destinationPort) {
        byte[] f = new byte[14 + 40 + 12];
        f[12] = (byte) 0x86;
        f[13] = (byte) 0xDD;
        f[14] = 0x60;
        f[14 + 5] = 12;
        f[14 + 6] = (byte) next;
        f[14 + 7] = 64;
        System.arraycopy(a, 0, f, 14 + 8, 16);
        System.arraycopy(b, 0, f, 14 + 24, 16);
        f[54] = (byte) (sourcePort >> 8);
        f[55] = (byte) sourcePort;
        f[56] = (byte) (destinationPort >> 8);
        f[57] = (byte) destinationPort;
        return f;
    }

    @Test
    void aFlowAndItsRepliesShareTheSymmetricHash() {
        byte[] request = TestPackets.innerFrame(9, 40312, 5201, 100);
        byte[] reply = reversed(request);
        assertNotEquals(hashOf(request), hashOf(reply), "the directional hash tells them apart");
        assertEquals(symmetricOf(request), symmetricOf(reply));
        // Same addresses, ports swapped one way only: another flow.
        byte[] other = request.clone();
        swap(other, 34, 36, 2);
        assertNotEquals(symmetricOf(request), symmetricOf(other));
        // Same host both ends (loopback-like): the ports decide the order.
        byte[] self = request.clone();
        System.arraycopy(self, 14 + 16, self, 14 + 12, 4);
        assertEquals(symmetricOf(self), symmetricOf(reversed(self)));
        // ARP and other non-IP: the MACs in either order.
        byte[] arp = request.clone();
        arp[12] = 0x08;
        arp[13] = 0x06;
        assertEquals(symmetricOf(arp), symmetricOf(reversed(arp)));
    }

    @Test
    void ipv6FlowsAndTheirRepliesShareTheSymmetricHash() {
        byte[] a = java.net.InetAddress.ofLiteral("2001:db8::1").getAddress();
        byte[] b = java.net.InetAddress.ofLiteral("2001:db8::2").getAddress();
        int tcp = 6;
        assertEquals(symmetricOf(ipv6Frame(a, b, tcp, 40312, 5201)), symmetricOf(ipv6Frame(b, a, tcp, 5201, 40312)));
        assertNotEquals(symmetricOf(ipv6Frame(a, b, tcp, 40312, 5201)), symmetricOf(ipv6Frame(a, b, tcp, 40313, 5201)));
        assertEquals(symmetricOf(ipv6Frame(a, a, tcp, 1, 2)), symmetricOf(ipv6Frame(a, a, tcp, 2, 1)));
        // Addresses that differ only in their last word still order the same way both ways.
        assertNotEquals(symmetricOf(ipv6Frame(a, b, tcp, 1, 2)), symmetricOf(ipv6Frame(a, b, 17, 1, 2)));
    }

    @Property
    void symmetricIsTheSameBothWaysForAnyIpv4Flow(@ForAll int from, @ForAll int to, @ForAll short sourcePort,
                                                   @ForAll short destinationPort, @ForAll boolean udp) {
        byte[] f = TestPackets.innerFrame(9, sourcePort & 0xFFFF, destinationPort & 0xFFFF, 0);
        f[14 + 9] = (byte) (udp ? 17 : 6);
        java.nio.ByteBuffer.wrap(f).putInt(14 + 12, from).putInt(14 + 16, to);
        assertEquals(symmetricOf(f), symmetricOf(reversed(f)));
    }

    @Property
    void anyFrameHashesSymmetricallyWithoutThrowing(@ForAll @Size(max = 100) byte[] frame) {
        ByteBuf buf = Unpooled.wrappedBuffer(frame);
        assertEquals(FlowHash.symmetric(buf, 0, frame.length), FlowHash.symmetric(buf, 0, frame.length));
    }
}
