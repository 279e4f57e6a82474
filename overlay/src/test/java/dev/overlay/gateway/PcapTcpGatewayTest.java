package dev.overlay.gateway;

import static dev.overlay.gateway.NetLab.in;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.config.OverlayConfig;
import dev.overlay.config.TenantMtu;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real TCP between two tenant namespaces through two gateways whose tenant ports are {@code pcap}
 * ports on veths left as a user leaves them: MTU 1500, the veth's default offloads (tx
 * checksumming, TSO and GSO on, asserted with ethtool first), ESP in UDP with AES-GCM-256, 2
 * workers. iperf3 with 1 and 4 streams completes and carries data; 50 MB sent with Python's TCP
 * sockets arrives with the sender's sha256. The gateways' counters show the sender's TSO
 * super-frames were cut at gw-a's port and coalesced trains written at gw-b's.
 *
 * <p>Nothing is tuned on the tenant side: the tenants' routes keep the veth's MTU 1500, above the
 * tenant MTU ESP leaves (1408), so their first full-size segments are too big for the overlay.
 * The gateway answers them with ICMP Fragmentation Needed, and the test checks that the tenant's
 * kernel learned 1408 from it ({@code ip route get} shows a path MTU that expires).
 */
class PcapTcpGatewayTest {
    private static final Pattern RECEIVED = Pattern.compile("\"sum_received\"\\s*:\\s*\\{[^}]*\"bytes\"\\s*:\\s*(\\d+)");

    @TempDir
    Path dir;

    @Test
    void tcpCrossesPcapPortsOnVethsWithDefaultOffloads() throws Exception {
        if (!NetLab.root("PcapTcpGatewayTest")) {
            return;
        }
        try (GatewayLifecycleTest.Records leaks = new GatewayLifecycleTest.Records("io.netty.util.ResourceLeakDetector");
             NetLab lab = new NetLab()) {
            String net = NetLab.underlayNet();
            TwoGateways ports = new TwoGateways(dir, "udp"); // its free ports and keys only
            String prefix = "pct" + lab.id;
            String tA = lab.namespace("ovca");
            String tB = lab.namespace("ovcb");
            String nearA = "ovca" + lab.id;
            String nearB = "ovcb" + lab.id;
            String farA = "ovxa" + lab.id;
            String farB = "ovxb" + lab.id;
            lab.veth(nearA, farA, tA, "10.0.0.1/24", 1500);
            lab.veth(nearB, farB, tB, "10.0.0.2/24", 1500);
            for (String[] side : new String[][] {{tA, farA}, {tB, farB}}) {
                String features = in(side[0], "ethtool", "-k", side[1]);
                for (String f : List.of("tx-checksumming", "tcp-segmentation-offload", "generic-segmentation-offload")) {
                    assertTrue(features.contains(f + ": on"), f + " is on by default: " + features);
                }
            }
            try (TwoGateways.Blue gw = ports.startBlue(prefix, net, "type: pcap, interface: " + nearA,
                    "type: pcap, interface: " + nearB, "", "")) {
                OverlayConfig a = gw.a().config();
                int mtu = TenantMtu.worstCase(a.gateway(), a.tenants().get("blue"), a.sas("blue", dev.overlay.config.SaConfig.Direction.OUT)).mtu();
                assertEquals(1408, mtu, "ESP in UDP with AES-GCM-256 over a 1500-byte underlay");

                String ping = in(tA, "ping", "-c", "2", "-i", "0.2", "-W", "2", "10.0.0.2");
                assertTrue(ping.contains("2 received"), ping);
                // 3,000-byte echoes: IP fragments of the route MTU (1500, no DF), which the gateway
                // cuts again to the tenant MTU, as RFC 791 lets a router do.
                String fragments = in(tA, "ping", "-c", "3", "-i", "0.2", "-W", "2", "-s", "3000", "10.0.0.2");
                assertTrue(fragments.contains("3 received"), fragments);

                Process iperf = lab.start("ip", "netns", "exec", tB, "iperf3", "-s");
                Thread.sleep(300);
                for (String streams : List.of("1", "4")) {
                    // iperf3 exits 0 only if its control connection and every stream completed.
                    String json = NetLab.sh("ip", "netns", "exec", tA, "iperf3", "-c", "10.0.0.2", "-t", "3",
                            "-P", streams, "-J");
                    Matcher m = RECEIVED.matcher(json);
                    assertTrue(m.find(), json);
                    assertTrue(Long.parseLong(m.group(1)) > 0, () -> streams + " stream(s): iperf3 received nothing; "
                            + gw.a().stats().ports() + " " + gw.a().stats().drops());
                }
                iperf.destroy();
                iperf.waitFor(5, TimeUnit.SECONDS);

                lab.assertTcpCarries(tA, tB, "10.0.0.2", 50 * 1024 * 1024);

                gw.assertOffloadsCarried("pcap:" + nearA, "pcap:" + nearB);
                // The sender's first full-size segments were too big: answered with ICMP, from
                // which its kernel learned the tenant MTU; none of the bulk was lost meanwhile.
                GatewayStats.PathMtuStats icmp = gw.a().stats().tenant("blue").pathMtu();
                assertTrue(icmp.fragmentationNeeded() > 0, icmp::toString);
                String route = in(tA, "ip", "route", "get", "10.0.0.2");
                assertTrue(route.contains("mtu " + mtu) && route.contains("expires"), route);
            }
            NetLab.assertNoThreadOrLeak(prefix, leaks);
        }
    }
}
