package dev.overlay.gateway;

import static dev.overlay.gateway.GatewayTest.MAC_1;
import static dev.overlay.gateway.GatewayTest.MAC_2;
import static dev.overlay.gateway.NetLab.sh;
import static dev.overlay.gateway.TwoGateways.frame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.overlay.cli.Configs;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An IPv6 underlay: gw-a on fdXX::1 and gw-b on fdXX::2 (a veth pair of this run, both ends in
 * the root namespace, so the two addresses are local), ESP in UDP with AES-GCM-256 and udp tenant
 * ports on the same addresses; frames cross both ways, and the outer headers are IPv6.
 */
class Ipv6UnderlayTest {
    @TempDir
    Path dir;

    @Test
    void framesCrossBetweenGatewaysOnIpv6Addresses() throws Exception {
        if (!NetLab.root("Ipv6UnderlayTest")) {
            return;
        }
        try (GatewayLifecycleTest.Records leaks = new GatewayLifecycleTest.Records("io.netty.util.ResourceLeakDetector");
             NetLab lab = new NetLab()) {
            String prefix = "fd00:" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1, 0xffff)) + ":"
                    + lab.id + "::";
            String a = prefix + "1";
            String b = prefix + "2";
            String va = "ov6a" + lab.id;
            lab.own(va);
            sh("ip", "link", "add", va, "type", "veth", "peer", "name", "ov6b" + lab.id);
            sh("sysctl", "-qw", "net.ipv6.conf." + va + ".disable_ipv6=0", "net.ipv6.conf.ov6b" + lab.id + ".disable_ipv6=0");
            sh("ip", "-6", "addr", "add", a + "/64", "dev", va, "nodad");
            sh("ip", "-6", "addr", "add", b + "/64", "dev", "ov6b" + lab.id, "nodad");
            sh("ip", "link", "set", va, "up");
            sh("ip", "link", "set", "ov6b" + lab.id, "up");

            int esp = TwoGateways.freeUdpPort();
            int[] listen = {TwoGateways.freeUdpPort(), TwoGateways.freeUdpPort()};
            int[] remote = {TwoGateways.freeUdpPort(), TwoGateways.freeUdpPort()};
            String name = "v6" + lab.id;
            Path ya = Files.writeString(dir.resolve("a.yaml"), yaml(name + "a", a, "gw-b", b, esp, listen[0], remote[0],
                    TwoGateways.sa(0x1001, "out", "gw-b", "blue", TwoGateways.K_BLUE_AB)
                            + TwoGateways.sa(0x2001, "in", "gw-b", "blue", TwoGateways.K_BLUE_BA)));
            Path yb = Files.writeString(dir.resolve("b.yaml"), yaml(name + "b", b, "gw-a", a, esp, listen[1], remote[1],
                    TwoGateways.sa(0x2001, "out", "gw-a", "blue", TwoGateways.K_BLUE_BA)
                            + TwoGateways.sa(0x1001, "in", "gw-a", "blue", TwoGateways.K_BLUE_AB)));
            try (Gateway gwA = Gateway.start(Configs.loadOrFail(ya));
                 Gateway gwB = Gateway.start(Configs.loadOrFail(yb));
                 DatagramSocket hostA = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(a), remote[0]));
                 DatagramSocket hostB = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(b), remote[1]))) {
                hostA.setSoTimeout(3000);
                hostB.setSoTimeout(3000);
                for (int i = 0; i < 20; i++) {
                    byte[] f = frame(MAC_2, MAC_1, "v6 " + i);
                    hostA.send(new DatagramPacket(f, f.length, InetAddress.getByName(a), listen[0]));
                }
                for (int i = 0; i < 20; i++) {
                    assertArrayEquals(frame(MAC_2, MAC_1, "v6 " + i), take(hostB), "frame " + i);
                }
                byte[] back = frame(MAC_1, MAC_2, "back over v6");
                hostB.send(new DatagramPacket(back, back.length, InetAddress.getByName(b), listen[1]));
                assertArrayEquals(back, take(hostA));
                hostB.setSoTimeout(200);
                assertNull(take(hostB), "nothing more");
                assertEquals(20, gwB.stats().sa("0x00001001", "in").packets());
                assertEquals(1, gwA.stats().sa("0x00002001", "in").packets());
                assertEquals(0, gwA.stats().totalDrops() + gwB.stats().totalDrops());
            }
            NetLab.assertNoThreadOrLeak(name, leaks);
        }
    }

    private static byte[] take(DatagramSocket s) throws Exception {
        byte[] buf = new byte[9216];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        try {
            s.receive(p);
        } catch (java.net.SocketTimeoutException e) {
            return null;
        }
        return Arrays.copyOf(buf, p.getLength());
    }

    private static String yaml(String name, String address, String peer, String peerAddress, int esp, int listen,
                               int remote, String sas) {
        return """
                gateway:
                  name: %s
                  address: %s
                  esp-port: %d
                  workers: 2
                peers:
                  %s: { address: "%s" }
                tenants:
                  blue:
                    vni: 1001
                    peers: [%s]
                    ports:
                      - { type: udp, listen: "[%s]:%d", remote: "[%s]:%d" }
                security-associations:
                """.formatted(name, address, esp, peer, peerAddress, peer, address, listen, address, remote) + sas;
    }
}
