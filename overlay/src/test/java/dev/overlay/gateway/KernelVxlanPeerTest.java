package dev.overlay.gateway;

import static dev.overlay.gateway.NetLab.in;
import static dev.overlay.gateway.NetLab.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.cli.Configs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Linux kernel's vxlan device as the other VTEP (the oracle: its decapsulation is not ours).
 *
 * <pre>
 *   ns t:  tap (our gateway's TAP port)  192.168.N.1/24
 *   root:  our gateway on veth g 10.M.N.1 ---- veth k 10.M.N.2 in ns k
 *   ns k:  vx0 (vxlan id 1001 remote 10.M.N.1 nolearning)  192.168.N.2/24
 * </pre>
 *
 * The tenant is {@code security: none}: cleartext VXLAN both ways, as the kernel speaks it.
 */
class KernelVxlanPeerTest {
    @TempDir
    Path dir;

    @Test
    void kernelVxlanDeviceAndTapTenantPingEachOtherAlsoWith1400BytePayloads() throws Exception {
        if (!NetLab.root("KernelVxlanPeerTest")) {
            return;
        }
        try (GatewayLifecycleTest.Records leaks = new GatewayLifecycleTest.Records("io.netty.util.ResourceLeakDetector");
             NetLab lab = new NetLab()) {
            int m = ThreadLocalRandom.current().nextInt(200, 250);
            int n = ThreadLocalRandom.current().nextInt(1, 250);
            String gwAddr = "10." + m + "." + n + ".1";
            String kAddr = "10." + m + "." + n + ".2";
            int vxlanPort = TwoGateways.freeUdpPort();
            String k = lab.namespace("ovk");
            String t = lab.namespace("ovkt");
            String g = "ovkg" + lab.id;
            lab.veth(g, "ovkk" + lab.id, k, kAddr + "/24", 1500);
            sh("ip", "addr", "add", gwAddr + "/24", "dev", g);
            in(k, "ip", "link", "add", "vx0", "type", "vxlan", "id", "1001", "remote", gwAddr, "local", kAddr,
                    "dstport", Integer.toString(vxlanPort), "nolearning");
            // 1500 - 50 bytes of outer IPv4, UDP and VXLAN: as the kernel sizes a vxlan on a 1500 link.
            in(k, "ip", "link", "set", "vx0", "mtu", "1450");
            in(k, "ip", "addr", "add", "192.168." + n + ".2/24", "dev", "vx0");
            in(k, "ip", "link", "set", "vx0", "up");

            String tap = "ovkp" + lab.id;
            Path config = Files.writeString(dir.resolve("gw.yaml"), """
                    gateway:
                      name: kvx-%s
                      address: %s
                      esp-port: %d
                      vxlan-port: %d
                      underlay-mtu: 1500
                      workers: 2
                    peers:
                      kernel: { address: %s }
                    tenants:
                      blue:
                        vni: 1001
                        encapsulation: vxlan
                        security: none
                        peers: [kernel]
                        ports:
                          - { type: tap, name: %s }
                    """.formatted(lab.id, gwAddr, TwoGateways.freeUdpPort(), vxlanPort, kAddr, tap));
            Gateway gw = Gateway.start(Configs.loadOrFail(config));
            try {
                NetLab.moveIn(tap, t, "192.168." + n + ".1/24", 1450);
                String near = "192.168." + n + ".1";
                String far = "192.168." + n + ".2";
                // -M do: no fragmentation, so the 1400-byte payload (1428-byte packet) crosses whole.
                for (String size : new String[] {"56", "1400"}) {
                    String out = in(t, "ping", "-c", "3", "-i", "0.2", "-W", "2", "-M", "do", "-s", size, far);
                    assertTrue(out.contains("3 received"), out);
                    out = in(k, "ping", "-c", "3", "-i", "0.2", "-W", "2", "-M", "do", "-s", size, near);
                    assertTrue(out.contains("3 received"), out);
                }
                GatewayStats s = gw.stats();
                assertTrue(s.tenant("blue").rxFrames() >= 12 && s.tenant("blue").txFrames() >= 12, s::toString);
                assertEquals(0, s.totalDrops(), () -> s.drops().toString());
                // The kernel's own counters: it decapsulated what we sent.
                assertTrue(NetLab.rxPackets(k, "vx0") >= 12, "vx0 rx_packets");
            } finally {
                gw.close();
            }
            NetLab.assertNoThreadOrLeak("kvx-" + lab.id, leaks);
        }
    }
}
