package dev.overlay.gateway;

import static dev.overlay.gateway.NetLab.in;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 20 MB over TCP between two tenants whose stacks sit directly on our gateways' TAP ports (the
 * TAP devices moved into the tenants' namespaces), ESP AES-GCM-256 between the gateways: the
 * sender's kernel hands the TAP 64 KB TSO super-frames (cut by TcpSegmenter), the receiving
 * gateway writes coalesced super-frames back (TcpCoalescer, GSO virtio header). The oracle is
 * Python's TCP sockets and sha256 at both ends: the bytes received are the bytes sent, and the
 * gateways' counters show both offload paths carried them.
 */
class TapOffloadContentTest {
    @TempDir
    Path dir;

    @Test
    void twentyMegabytesCrossIntactThroughTsoSuperFramesAndCoalescedWrites() throws Exception {
        if (!NetLab.root("TapOffloadContentTest")) {
            return;
        }
        try (GatewayLifecycleTest.Records leaks = new GatewayLifecycleTest.Records("io.netty.util.ResourceLeakDetector");
             NetLab lab = new NetLab()) {
            String net = NetLab.underlayNet();
            TwoGateways ports = new TwoGateways(dir, "udp"); // its free ports and keys only
            String prefix = "tso" + lab.id;
            String tA = lab.namespace("ovta");
            String tB = lab.namespace("ovtb");
            String tapA = "ovpa" + lab.id;
            String tapB = "ovpb" + lab.id;
            try (TwoGateways.Blue gw = ports.startBlue(prefix, net, "type: tap, name: " + tapA, "type: tap, name: " + tapB,
                    "\n  underlay-mtu: 1500", "")) {
                NetLab.moveIn(tapA, tA, "10.99.0.1/24", 1400);
                NetLab.moveIn(tapB, tB, "10.99.0.2/24", 1400);
                String ping = in(tA, "ping", "-c", "2", "-i", "0.2", "-W", "2", "10.99.0.2");
                assertTrue(ping.contains("2 received"), ping);
                lab.assertTcpCarries(tA, tB, "10.99.0.2", 20 * 1024 * 1024);
                gw.assertOffloadsCarried("tap:" + tapA, "tap:" + tapB);
            }
            NetLab.assertNoThreadOrLeak(prefix, leaks);
        }
    }
}
