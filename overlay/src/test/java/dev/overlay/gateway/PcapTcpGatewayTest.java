package dev.overlay.gateway;

import static dev.overlay.gateway.NetLab.in;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.cli.Configs;
import dev.overlay.config.OverlayConfig;
import dev.overlay.config.TenantMtu;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
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
    private static final int BULK = 50 * 1024 * 1024;
    private static final String RECEIVER = """
            import hashlib, socket, sys
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("0.0.0.0", 5001)); s.listen(1); print("listening", flush=True)
            c, _ = s.accept(); c.settimeout(60); h = hashlib.sha256(); n = 0
            while True:
                b = c.recv(1 << 20)
                if not b: break
                h.update(b); n += len(b)
            c.sendall(b"k"); print(n, h.hexdigest(), flush=True)
            """;
    private static final String SENDER = """
            import hashlib, random, socket, sys
            data = random.Random(11).randbytes(int(sys.argv[2]))
            s = socket.create_connection((sys.argv[1], 5001), timeout=60)
            s.sendall(data); s.shutdown(socket.SHUT_WR); s.recv(1); s.close()
            print(len(data), hashlib.sha256(data).hexdigest(), flush=True)
            """;
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
            String net = "127." + ThreadLocalRandom.current().nextInt(100, 250) + "." + ThreadLocalRandom.current().nextInt(1, 250);
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
            OverlayConfig a = Configs.loadOrFail(Files.writeString(dir.resolve("a.yaml"),
                    yaml(prefix + "a", net + ".1", net + ".2", ports, nearA, 0x1001, 0x2001)));
            OverlayConfig b = Configs.loadOrFail(Files.writeString(dir.resolve("b.yaml"),
                    yaml(prefix + "b", net + ".2", net + ".1", ports, nearB, 0x2001, 0x1001)));
            int mtu = TenantMtu.worstCase(a.gateway(), a.tenants().get("blue"), a.sas("blue", dev.overlay.config.SaConfig.Direction.OUT)).mtu();
            assertEquals(1408, mtu, "ESP in UDP with AES-GCM-256 over a 1500-byte underlay");

            Gateway gwA = Gateway.start(a);
            Gateway gwB = null;
            try {
                gwB = Gateway.start(b);
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
                    Gateway a0 = gwA;
                    assertTrue(Long.parseLong(m.group(1)) > 0, () -> streams + " stream(s): iperf3 received nothing; "
                            + a0.stats().ports() + " " + a0.stats().drops());
                }
                iperf.destroy();
                iperf.waitFor(5, TimeUnit.SECONDS);

                Process receiver = lab.start("ip", "netns", "exec", tB, "/usr/bin/python3", "-c", RECEIVER);
                BufferedReader lines = new BufferedReader(new InputStreamReader(receiver.getInputStream(), StandardCharsets.UTF_8));
                assertEquals("listening", lines.readLine());
                String sent = NetLab.run("ip", "netns", "exec", tA, "/usr/bin/python3", "-c", SENDER, "10.0.0.2",
                        Integer.toString(BULK)).out().strip();
                String received = lines.readLine();
                assertTrue(receiver.waitFor(30, TimeUnit.SECONDS));
                assertTrue(sent.startsWith(BULK + " "), sent);
                assertEquals(sent, received, "what tB received (length, sha256) is what tA sent");

                GatewayStats.PortStats portA = gwA.stats().ports().get("pcap:" + nearA);
                GatewayStats.PortStats portB = gwB.stats().ports().get("pcap:" + nearB);
                assertTrue(portA.rxGsoFrames() > 0 && portA.rxGsoSegments() > portA.rxGsoFrames(),
                        () -> "the sender's TSO super-frames were cut at gw-a's port: " + portA);
                assertTrue(portB.txGsoFrames() > 0 && portB.txGsoSegments() > portB.txGsoFrames(),
                        () -> "gw-b wrote coalesced super-frames: " + portB);
                assertEquals(0, portA.rxErrors(), portA::toString);
                assertEquals(0, portB.rxErrors(), portB::toString);
                // The sender's first full-size segments were too big: answered with ICMP, from
                // which its kernel learned the tenant MTU; none of the bulk was lost meanwhile.
                GatewayStats.PathMtuStats icmp = gwA.stats().tenant("blue").pathMtu();
                assertTrue(icmp.fragmentationNeeded() > 0, icmp::toString);
                String route = in(tA, "ip", "route", "get", "10.0.0.2");
                assertTrue(route.contains("mtu " + mtu) && route.contains("expires"), route);
            } finally {
                gwA.close();
                if (gwB != null) {
                    gwB.close();
                }
            }
            NetLab.assertNoThreadOrLeak(prefix, leaks);
        }
    }

    private static String yaml(String name, String address, String peerAddress, TwoGateways ports, String iface,
                               int outSpi, int inSpi) {
        String peer = name.endsWith("a") ? "gw-b" : "gw-a";
        return """
                gateway:
                  name: %s
                  address: %s
                  esp-transport: udp
                  esp-port: %d
                  vxlan-port: %d
                  geneve-port: %d
                  workers: 2
                peers:
                  %s: { address: %s }
                tenants:
                  blue: { vni: 1001, encapsulation: vxlan, peers: [%s], ports: [ { type: pcap, interface: %s } ] }
                security-associations:
                """.formatted(name, address, ports.esp, ports.vxlan, ports.geneve, peer, peerAddress, peer, iface)
                + TwoGateways.sa(outSpi, "out", peer, "blue", outSpi == 0x1001 ? TwoGateways.K_BLUE_AB : TwoGateways.K_BLUE_BA)
                + TwoGateways.sa(inSpi, "in", peer, "blue", inSpi == 0x1001 ? TwoGateways.K_BLUE_AB : TwoGateways.K_BLUE_BA);
    }
}
