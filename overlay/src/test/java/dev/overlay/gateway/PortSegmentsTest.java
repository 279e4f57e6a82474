package dev.overlay.gateway;

import static dev.overlay.gateway.GatewayTest.MAC_1;
import static dev.overlay.gateway.GatewayTest.MAC_2;
import static dev.overlay.gateway.TwoGateways.frame;
import static dev.overlay.gateway.TwoGateways.waitFor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.overlay.steering.WorkerStats;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The segments a port cut from one super-frame, handed to the gateway in one call
 * ({@code FrameSink.receiveSegments}): each admitted as a frame of its own (counted, checked
 * against the tenant MTU), those with one unicast destination sealed by the SA's owner as one job,
 * and every one of them delivered, in order, and counted one by one.
 */
class PortSegmentsTest {
    private static final long MAC_3 = 0x02_00_00_00_00_03L;
    private static final int N = 40;

    @TempDir
    Path dir;

    private static byte[][] segments(long destination) {
        byte[][] out = new byte[N][];
        for (int i = 0; i < N; i++) {
            out[i] = frame(destination, MAC_1, String.format("segment %02d ", i) + "s".repeat(1_000));
        }
        return out;
    }

    /**
     * gw-a learns MAC_2 behind gw-b (so frames to it have a unicast destination), then blue's port
     * on gw-a hands over {@code sent} in one call; every frame but {@code missing} must reach blue
     * on gw-b, in order. Returns gw-a's counters.
     */
    private static GatewayStats cross(TwoGateways gws, byte[][] sent, int missing) throws Exception {
        MemoryPort blueA = gws.memoryPorts.get(TwoGateways.A + "/blue");
        TwoGateways.End blueB = gws.end("blue", 1);
        blueB.inject(frame(MAC_1, MAC_2, "hello"));
        assertNotNull(blueA.take(), "gw-b's frame reached blue on gw-a");
        blueA.injectSegments(sent);
        for (int i = 0; i < N; i++) {
            if (i != missing) {
                assertArrayEquals(sent[i], blueB.take(), "frame " + i);
            }
        }
        return gws.gwA.stats();
    }

    private static long workerPackets(GatewayStats s) {
        return s.workers().stream().mapToLong(WorkerStats::packets).sum();
    }

    @Test
    void segmentsToOneKnownDestinationCrossAsOneJobInOrderAndAreCountedOneByOne() throws Exception {
        try (TwoGateways gws = new TwoGateways(dir, "udp").start()) {
            GatewayStats a = cross(gws, segments(MAC_2), -1);
            assertEquals(N, a.tenant("blue").txFrames());
            assertEquals(0, a.tenant("blue").txFlooded());
            assertEquals(N, a.sa("0x00001001", "out").packets());
            // The hello opened on gw-a, and the N segments sealed there: packets, not jobs.
            waitFor(() -> workerPackets(gws.gwA.stats()) == N + 1, "gw-a's workers to count " + (N + 1) + " packets");
            assertEquals(0, a.totalDrops(), () -> a.drops().toString());
        }
    }

    @Test
    void segmentsWhoseDestinationsDifferGoFrameByFrameAndAllArrive() throws Exception {
        try (TwoGateways gws = new TwoGateways(dir, "udp").start()) {
            byte[][] sent = segments(MAC_2);
            sent[N / 2] = frame(MAC_3, MAC_1, "to a MAC nobody has seen"); // flooded to every peer
            GatewayStats a = cross(gws, sent, -1);
            assertEquals(N, a.tenant("blue").txFrames());
            assertEquals(1, a.tenant("blue").txFlooded());
            assertEquals(1, a.tenant("blue").txUnknownUnicast());
            assertEquals(N, a.sa("0x00001001", "out").packets());
        }
    }

    @Test
    void anOversizeSegmentIsAnsweredAloneAndTheOthersGoOn() throws Exception {
        try (TwoGateways gws = new TwoGateways(dir, "udp").start()) {
            byte[][] sent = segments(MAC_2);
            sent[7] = TwoGateways.frameDf(MAC_2, MAC_1, "x".repeat(1_500)); // above blue's MTU, DF
            GatewayStats a = cross(gws, sent, 7);
            byte[] icmp = gws.memoryPorts.get(TwoGateways.A + "/blue").take();
            assertNotNull(icmp, "the ICMP error back on blue's port");
            assertEquals(1, icmp[14 + 9], "IPv4 protocol ICMP");
            assertEquals(3, icmp[14 + 20], "destination unreachable");
            assertEquals(4, icmp[14 + 21], "fragmentation needed");
            assertEquals(1, a.tenant("blue").pathMtu().fragmentationNeeded());
            assertEquals(1, a.drops("too-big"));
            assertEquals(N - 1, a.sa("0x00001001", "out").packets());
        }
    }
}
