package dev.overlay.gateway;

import static dev.overlay.gateway.GatewayTest.MAC_1;
import static dev.overlay.gateway.GatewayTest.MAC_2;
import static dev.overlay.gateway.TwoGateways.waitFor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's side of path MTU (in-memory ports, no root): the datapath's verdict on a frame
 * above the tenant MTU delivered where it belongs. The ICMP error comes back on the port the
 * frame came from, tagged as it came; IPv4 without DF arrives at the far side as fragments that
 * make up the packet; SYNs are clamped leaving (tx) and arriving (rx); the per-tenant rate limit
 * holds; and every oversized frame is still one {@code too-big} drop. The bytes of the errors are
 * checked against scapy in {@code PathMtuScapyTest}.
 */
class PathMtuGatewayTest {
    /** blue: VXLAN, ESP AES-GCM-256 over IPv4 with ESP in UDP. */
    static final int BLUE_MTU = 1408;

    @TempDir
    Path dir;

    @Test
    void aDfFrameAboveTheMtuIsAnsweredOnItsOwnPortFromItsDestination() throws Exception {
        try (TwoGateways gws = new TwoGateways(dir, "udp").start()) {
            TwoGateways.End blueA = gws.end("blue", 0);
            TwoGateways.End blueB = gws.end("blue", 1);
            byte[] big = TwoGateways.frameDf(MAC_2, MAC_1, "x".repeat(1500));
            blueA.inject(big);
            byte[] icmp = blueA.take();
            assertTrue(icmp != null, "an error back on blue's port at gw-a");
            ByteBuffer b = ByteBuffer.wrap(icmp);
            assertEquals(MAC_1, b.getLong(0) >>> 16, "to the sender's MAC");
            assertEquals(MAC_2, (b.getLong(6) >>> 16), "from the destination's MAC");
            assertEquals(0x0800, b.getShort(12));
            assertArrayEquals(new byte[] {10, 0, 0, 2}, Arrays.copyOfRange(icmp, 26, 30), "from the destination's address");
            assertArrayEquals(new byte[] {10, 0, 0, 1}, Arrays.copyOfRange(icmp, 30, 34), "to the sender's");
            assertEquals(1, icmp[23], "ICMP");
            assertEquals(3, icmp[34], "Destination Unreachable");
            assertEquals(4, icmp[35], "Fragmentation Needed");
            assertEquals(BLUE_MTU, b.getShort(34 + 6) & 0xFFFF, "next-hop MTU");
            assertArrayEquals(Arrays.copyOfRange(big, 14, 14 + 548), Arrays.copyOfRange(icmp, 42, icmp.length),
                    "the packet quoted up to 576 bytes of error");
            blueB.timeout(300);
            assertNull(blueB.take(), "nothing crossed");
            GatewayStats s = gws.gwA.stats();
            assertEquals(1, s.drops("too-big"));
            assertEquals(1, s.tenant("blue").pathMtu().fragmentationNeeded(), s.tenant("blue")::toString);
            assertEquals(1, s.tenant("blue").txFrames(), "the frame was taken from the port (in == out + drops)");
            assertEquals(0, s.sa("0x00001001", "out").packets());
        }
    }

    @Test
    void theErrorCarriesTheTagTheFrameCameWith() throws Exception {
        TwoGateways lab = new TwoGateways(dir, "udp");
        lab.tenantKeys[0][0] = ", vlan: 101";
        try (TwoGateways gws = lab.start()) {
            TwoGateways.End blueA = gws.end("blue", 0);
            byte[] big = tagged(TwoGateways.frameDf(MAC_2, MAC_1, "x".repeat(1500)), 0x2065); // PCP 1, VID 101
            blueA.inject(big);
            byte[] icmp = blueA.take();
            assertTrue(icmp != null);
            assertEquals(0x8100, ByteBuffer.wrap(icmp).getShort(12) & 0xFFFF);
            assertEquals(0x2065, ByteBuffer.wrap(icmp).getShort(14) & 0xFFFF, "the port's own tag, priority kept");
            assertEquals(3, icmp[18 + 20]);
            assertEquals(BLUE_MTU, ByteBuffer.wrap(icmp).getShort(18 + 26) & 0xFFFF,
                    "the tenant's own tag is removed before encapsulation: the full MTU");
        }
    }

    @Test
    void anIpv6FrameAboveTheMtuGetsPacketTooBig() throws Exception {
        try (TwoGateways gws = new TwoGateways(dir, "udp").start()) {
            TwoGateways.End blueA = gws.end("blue", 0);
            blueA.inject(ipv6Udp(1500));
            byte[] ptb = blueA.take();
            assertTrue(ptb != null);
            assertEquals(0x86DD, ByteBuffer.wrap(ptb).getShort(12) & 0xFFFF);
            assertEquals(58, ptb[14 + 6], "ICMPv6");
            assertEquals(2, ptb[54], "Packet Too Big");
            assertEquals(BLUE_MTU, ByteBuffer.wrap(ptb).getInt(58));
            assertEquals(14 + 1280, ptb.length, "filled to IPv6's minimum MTU");
            waitFor(() -> gws.gwA.stats().tenant("blue").pathMtu().packetTooBig() == 1, "counted");
        }
    }

    @Test
    void ipv4WithoutDfArrivesAsFragmentsOfThePacket() throws Exception {
        try (TwoGateways gws = new TwoGateways(dir, "udp").start()) {
            TwoGateways.End blueA = gws.end("blue", 0);
            TwoGateways.End blueB = gws.end("blue", 1);
            byte[] big = TwoGateways.frame(MAC_2, MAC_1, "0123456789".repeat(300)); // 3042 bytes of frame, no DF
            blueA.inject(big);
            ByteArrayOutputStream data = new ByteArrayOutputStream();
            int fragments = 0;
            for (boolean more = true; more; fragments++) {
                byte[] f = blueB.take();
                assertTrue(f != null, "fragment " + fragments);
                ByteBuffer b = ByteBuffer.wrap(f);
                int flags = b.getShort(20) & 0xFFFF;
                assertEquals(data.size(), (flags & 0x1FFF) * 8, "in order, each continuing the last");
                assertTrue(f.length - 14 <= BLUE_MTU);
                assertEquals(f.length - 14, b.getShort(16) & 0xFFFF, "total length");
                data.write(f, 34, f.length - 34);
                more = (flags & 0x2000) != 0;
            }
            assertEquals(3, fragments);
            assertArrayEquals(Arrays.copyOfRange(big, 34, big.length), data.toByteArray(), "the datagram, whole");
            GatewayStats.PathMtuStats p = gws.gwA.stats().tenant("blue").pathMtu();
            assertEquals(1, p.fragmentedFrames());
            assertEquals(3, p.fragments());
            assertEquals(0, gws.gwA.stats().drops("too-big"));
        }
    }

    @Test
    void anOversizedFrameThatIsNotIpIsDroppedWithoutAnError() throws Exception {
        try (TwoGateways gws = new TwoGateways(dir, "udp").start()) {
            TwoGateways.End blueA = gws.end("blue", 0);
            byte[] big = TwoGateways.frame(MAC_2, MAC_1, "x".repeat(1500));
            big[12] = (byte) 0x88;
            big[13] = (byte) 0xB5; // IEEE local experimental ethertype
            blueA.inject(big);
            waitFor(() -> gws.gwA.stats().drops("too-big") == 1, "too-big");
            blueA.timeout(300);
            assertNull(blueA.take());
        }
    }

    @Test
    void synsAreClampedLeavingAndArriving() throws Exception {
        TwoGateways lab = new TwoGateways(dir, "udp");
        lab.tenantKeys[0][0] = ", mss-clamp: auto"; // gw-a only: its tx and its rx
        try (TwoGateways gws = lab.start()) {
            TwoGateways.End blueA = gws.end("blue", 0);
            TwoGateways.End blueB = gws.end("blue", 1);
            blueA.inject(syn(MAC_2, MAC_1, 1460, false));
            byte[] atB = blueB.take();
            assertEquals(1368, mss(atB), "clamped by gw-a on its way out");
            assertTrue(tcpChecksumOk(atB));
            blueB.inject(syn(MAC_1, MAC_2, 1460, true));
            byte[] atA = blueA.take();
            assertEquals(1368, mss(atA), "gw-b does not clamp: gw-a does, delivering");
            assertTrue(tcpChecksumOk(atA));
            blueA.inject(syn(MAC_2, MAC_1, 1200, false));
            assertEquals(1200, mss(blueB.take()), "never raised");
            GatewayStats.PathMtuStats p = gws.gwA.stats().tenant("blue").pathMtu();
            assertEquals(1, p.mssClampedTx());
            assertEquals(1, p.mssClampedRx());
            assertEquals(0, gws.gwB.stats().tenant("blue").pathMtu().mssClampedTx());
        }
    }

    @Test
    void errorsAreRateLimitedPerTenantAndEveryFrameIsCounted() throws Exception {
        try (TwoGateways gws = new TwoGateways(dir, "udp").start()) {
            TwoGateways.End blueA = gws.end("blue", 0);
            byte[] big = TwoGateways.frameDf(MAC_2, MAC_1, "x".repeat(1500));
            long from = System.nanoTime();
            for (int i = 0; i < 500; i++) {
                blueA.inject(big);
            }
            waitFor(() -> gws.gwA.stats().drops("too-big") == 500, "500 too-big");
            double seconds = (System.nanoTime() - from) / 1e9;
            GatewayStats.PathMtuStats p = gws.gwA.stats().tenant("blue").pathMtu();
            assertEquals(500, p.fragmentationNeeded() + p.rateLimited(), p::toString);
            assertTrue(p.fragmentationNeeded() >= 50 && p.fragmentationNeeded() <= 51 + 1000 * seconds,
                    () -> p + " in " + seconds + " s");
            // red has a bucket of its own.
            gws.end("red", 0).inject(TwoGateways.frameDf(MAC_2, MAC_1, "x".repeat(1500)));
            assertTrue(gws.end("red", 0).take() != null, "red's sender still gets its error");
        }
    }

    /** {@code frame} with an 802.1Q tag of {@code tci} after its MAC addresses. */
    static byte[] tagged(byte[] frame, int tci) {
        byte[] out = new byte[frame.length + 4];
        System.arraycopy(frame, 0, out, 0, 12);
        ByteBuffer.wrap(out).putShort(12, (short) 0x8100).putShort(14, (short) tci);
        System.arraycopy(frame, 12, out, 16, frame.length - 12);
        return out;
    }

    /** Ethernet / IPv6 fd00::1 -> fd00::2 / UDP with {@code payload} bytes (checksum 0: not checked here). */
    static byte[] ipv6Udp(int payload) {
        ByteBuffer b = ByteBuffer.allocate(14 + 40 + 8 + payload);
        b.putShort((short) (MAC_2 >>> 32)).putInt((int) MAC_2).putShort((short) (MAC_1 >>> 32)).putInt((int) MAC_1)
                .putShort((short) 0x86DD);
        b.putInt(0x6000_0000).putShort((short) (8 + payload)).put((byte) 17).put((byte) 64);
        b.put(new byte[] {(byte) 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
        b.put(new byte[] {(byte) 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2});
        b.putShort((short) 40000).putShort((short) 5001).putShort((short) (8 + payload)).putShort((short) 0);
        return b.array();
    }

    /** An IPv4 SYN (or SYN-ACK) 10.0.0.1 -> 10.0.0.2 with an MSS option and a correct TCP checksum. */
    static byte[] syn(long dst, long src, int mss, boolean ack) {
        ByteBuffer b = ByteBuffer.allocate(14 + 20 + 24);
        b.putShort((short) (dst >>> 32)).putInt((int) dst).putShort((short) (src >>> 32)).putInt((int) src)
                .putShort((short) 0x0800);
        b.put((byte) 0x45).put((byte) 0).putShort((short) 44).putInt(0x0000_4000).put((byte) 64).put((byte) 6)
                .putShort((short) 0).put(new byte[] {10, 0, 0, 1}).put(new byte[] {10, 0, 0, 2});
        b.putShort((short) 40000).putShort((short) 5201).putInt(1).putInt(ack ? 2 : 0)
                .put((byte) 0x60).put((byte) (ack ? 0x12 : 0x02)).putShort((short) 64240).putShort((short) 0).putShort((short) 0);
        b.put((byte) 2).put((byte) 4).putShort((short) mss);
        byte[] f = b.array();
        ByteBuffer.wrap(f).putShort(34 + 16, (short) tcpChecksum(f));
        return f;
    }

    static int mss(byte[] f) {
        return ByteBuffer.wrap(f).getShort(34 + 22) & 0xFFFF;
    }

    static boolean tcpChecksumOk(byte[] f) {
        int stored = ByteBuffer.wrap(f).getShort(34 + 16) & 0xFFFF;
        byte[] copy = f.clone();
        ByteBuffer.wrap(copy).putShort(34 + 16, (short) 0);
        return tcpChecksum(copy) == stored;
    }

    /** RFC 9293 section 3.1, word by word (the field must be zero). */
    private static int tcpChecksum(byte[] f) {
        int length = f.length - 34;
        long sum = 6 + length;
        for (int i = 26; i < 34; i += 2) {
            sum += ((f[i] & 0xFF) << 8) | (f[i + 1] & 0xFF);
        }
        for (int i = 34; i < f.length; i += 2) {
            sum += ((f[i] & 0xFF) << 8) | (i + 1 < f.length ? f[i + 1] & 0xFF : 0);
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) (~sum & 0xFFFF);
    }
}
