package dev.overlay.gateway;

import static dev.overlay.gateway.NetLab.in;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.cli.Configs;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two gateways, two tenants with the same addresses on {@code pcap} ports, ESP with AES-GCM-256:
 * four namespaces (blue and red on sides a and b) each behind a veth pair whose root-namespace end
 * is a gateway's pcap port. Each tenant pings only its own far side; the other tenant's interfaces
 * see nothing; tshark, reading a capture of the underlay, finds ESP and never VXLAN or Geneve.
 */
class NetnsEspGatewayTest {
    static final String[] TENANTS = {"blue", "red"};

    @ParameterizedTest(name = "esp-transport: {0}")
    @ValueSource(strings = {"udp", "ip"})
    void eachTenantReachesOnlyItsOwnFarSideAndTheUnderlayCarriesOnlyEsp(String transport, @org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        if (!NetLab.root("NetnsEspGatewayTest")) {
            return;
        }
        try (GatewayLifecycleTest.Records leaks = new GatewayLifecycleTest.Records("io.netty.util.ResourceLeakDetector");
             NetLab lab = new NetLab()) {
            // Underlay on the loopback, on addresses of this run alone (Linux answers on all of 127/8).
            String net = NetLab.underlayNet();
            String addrA = net + ".1";
            String addrB = net + ".2";
            TwoGateways ports = new TwoGateways(dir, transport); // for its free-port helpers and keys only
            String[] sas = {
                TwoGateways.sa(0x1001, "out", "gw-b", "blue", TwoGateways.K_BLUE_AB),
                TwoGateways.sa(0x2001, "in", "gw-b", "blue", TwoGateways.K_BLUE_BA),
                TwoGateways.sa(0x1002, "out", "gw-b", "red", TwoGateways.K_RED_AB),
                TwoGateways.sa(0x2002, "in", "gw-b", "red", TwoGateways.K_RED_BA)};
            String[] sasB = {
                TwoGateways.sa(0x2001, "out", "gw-a", "blue", TwoGateways.K_BLUE_BA),
                TwoGateways.sa(0x1001, "in", "gw-a", "blue", TwoGateways.K_BLUE_AB),
                TwoGateways.sa(0x2002, "out", "gw-a", "red", TwoGateways.K_RED_BA),
                TwoGateways.sa(0x1002, "in", "gw-a", "red", TwoGateways.K_RED_AB)};
            String prefix = "esp" + transport + lab.id;
            for (String tenant : TENANTS) {
                for (char side : new char[] {'a', 'b'}) {
                    String ns = lab.namespace("ove" + tenant.charAt(0) + side);
                    lab.veth(veth(lab, tenant, side), "ovn" + tenant.charAt(0) + side + lab.id, ns,
                            side == 'a' ? "10.0.0.1/24" : "10.0.0.2/24", 1500);
                }
            }
            Path a = Files.writeString(dir.resolve("a.yaml"), yaml(prefix + "a", addrA, "gw-b", addrB, transport, ports, lab, 'a', sas));
            Path b = Files.writeString(dir.resolve("b.yaml"), yaml(prefix + "b", addrB, "gw-a", addrA, transport, ports, lab, 'b', sasB));

            Path capture = dir.resolve("underlay.pcap");
            Process tcpdump = lab.start("tcpdump", "--immediate-mode", "-i", "lo", "-n", "-U", "-w", capture.toString(),
                    "host " + addrA + " and host " + addrB);
            awaitListening(tcpdump);
            Gateway gwA = Gateway.start(Configs.loadOrFail(a));
            Gateway gwB = null;
            try {
                gwB = Gateway.start(Configs.loadOrFail(b));
                for (String tenant : TENANTS) {
                    String other = tenant.equals("blue") ? "red" : "blue";
                    // The gateways' own counts of the other tenant's frames (every port, both
                    // directions): exact, and untouched by what the root namespace itself sends
                    // on the veths, which a pcap port (direction in) never reads.
                    long otherBefore = frames(gwA, other) + frames(gwB, other);
                    String out = in(lab.name("ove" + tenant.charAt(0) + 'a'), "ping", "-c", "3", "-i", "0.2", "-W", "2",
                            "10.0.0.2");
                    assertTrue(out.contains("3 received"), tenant + ": " + out);
                    assertEquals(otherBefore, frames(gwA, other) + frames(gwB, other),
                            tenant + "'s traffic moved " + other + "'s counters");
                    GatewayStats s = gwB.stats();
                    assertTrue(s.tenant(tenant).rxFrames() >= 4 && s.ports().values().stream()
                            .filter(p -> p.tenant().equals(tenant)).mapToLong(GatewayStats.PortStats::txFrames).sum() >= 4,
                            s::toString);
                }
                GatewayStats sb = gwB.stats();
                assertTrue(sb.sa("0x00001001", "in").packets() >= 4, sb::toString);
                assertTrue(sb.sa("0x00001002", "in").packets() >= 4, sb::toString);
                assertEquals(0, sb.totalDrops(), () -> sb.drops().toString());
                assertEquals(0, gwA.stats().totalDrops(), () -> gwA.stats().drops().toString());
            } finally {
                gwA.close();
                if (gwB != null) {
                    gwB.close();
                }
                Thread.sleep(300); // tcpdump -U has written every packet it saw
                tcpdump.destroy();
                tcpdump.waitFor(5, TimeUnit.SECONDS);
            }
            List<String> protocols = tsharkProtocols(capture, ports, transport);
            assertTrue(protocols.size() >= 12, // 3 echo requests and 3 replies per tenant, at least
                    () -> "too few underlay packets: " + protocols);
            for (String p : protocols) {
                assertFalse(p.contains("vxlan") || p.contains("geneve"), "cleartext overlay on the underlay: " + p);
                assertTrue(p.endsWith(transport.equals("udp") ? ":ip:udp:udpencap:esp" : ":ip:esp"), p);
            }
            NetLab.assertNoThreadOrLeak(prefix, leaks);
        }
    }

    /** Frames of {@code tenant} taken from and delivered to its ports. */
    private static long frames(Gateway gw, String tenant) {
        GatewayStats.TenantStats t = gw.stats().tenant(tenant);
        return t.rxFrames() + t.txFrames();
    }

    private static String veth(NetLab lab, String tenant, char side) {
        return "ovg" + tenant.charAt(0) + side + lab.id;
    }

    private static String yaml(String name, String address, String peer, String peerAddress, String transport,
                               TwoGateways ports, NetLab lab, char side, String[] sas) {
        StringBuilder y = new StringBuilder();
        y.append("gateway:\n  name: ").append(name).append("\n  address: ").append(address)
                .append("\n  esp-transport: ").append(transport).append("\n  esp-port: ").append(ports.esp)
                .append("\n  vxlan-port: ").append(ports.vxlan).append("\n  geneve-port: ").append(ports.geneve)
                .append("\n  workers: 2\npeers:\n  ").append(peer).append(": { address: ").append(peerAddress).append(" }\n")
                .append("tenants:\n");
        for (int t = 0; t < TENANTS.length; t++) {
            y.append("  ").append(TENANTS[t]).append(": { vni: ").append(1001 + t).append(", encapsulation: ")
                    .append(t == 0 ? "vxlan" : "geneve").append(", peers: [").append(peer)
                    .append("], ports: [ { type: pcap, interface: ").append(veth(lab, TENANTS[t], side)).append(" } ] }\n");
        }
        y.append("security-associations:\n");
        for (String sa : sas) {
            y.append(sa);
        }
        return y.toString();
    }

    private static void awaitListening(Process tcpdump) throws Exception {
        BufferedReader r = new BufferedReader(new InputStreamReader(tcpdump.getInputStream(), StandardCharsets.UTF_8));
        String line = r.readLine();
        assertTrue(line != null && line.contains("listening on"), "tcpdump did not start: " + line);
        Thread.ofPlatform().daemon().start(() -> {
            try {
                r.transferTo(java.io.Writer.nullWriter());
            } catch (java.io.IOException ignored) {
                // tcpdump ended
            }
        });
    }

    /** tshark's protocol stack of every packet, told which ports carry ESP-in-UDP, VXLAN and Geneve here. */
    private static List<String> tsharkProtocols(Path capture, TwoGateways ports, String transport) throws Exception {
        List<String> command = new ArrayList<>(List.of("tshark", "-n", "-r", capture.toString(),
                "-d", "udp.port==" + ports.vxlan + ",vxlan", "-d", "udp.port==" + ports.geneve + ",geneve"));
        if (transport.equals("udp")) {
            command.addAll(List.of("-d", "udp.port==" + ports.esp + ",udpencap"));
        }
        command.addAll(List.of("-T", "fields", "-e", "frame.protocols"));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        List<String> lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "tshark failed on " + capture);
        return lines;
    }
}
