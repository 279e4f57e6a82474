package dev.overlay.gateway;

import static dev.overlay.gateway.NetLab.in;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.cli.Configs;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
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
    private static final int BYTES = 20 * 1024 * 1024;
    private static final String RECEIVER = """
            import hashlib, socket, sys
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("0.0.0.0", 5001)); s.listen(1); print("listening", flush=True)
            c, _ = s.accept(); c.settimeout(60); h = hashlib.sha256(); n = 0
            while True:
                b = c.recv(1 << 20)
                if not b: break
                h.update(b); n += len(b)
            print(n, h.hexdigest(), flush=True)
            """;
    private static final String SENDER = """
            import hashlib, random, socket, sys
            data = random.Random(7).randbytes(%d)
            s = socket.create_connection((sys.argv[1], 5001), timeout=60)
            s.sendall(data); s.shutdown(socket.SHUT_WR); s.recv(1); s.close()
            print(len(data), hashlib.sha256(data).hexdigest(), flush=True)
            """.formatted(BYTES);

    @TempDir
    Path dir;

    @Test
    void twentyMegabytesCrossIntactThroughTsoSuperFramesAndCoalescedWrites() throws Exception {
        if (!NetLab.root("TapOffloadContentTest")) {
            return;
        }
        try (GatewayLifecycleTest.Records leaks = new GatewayLifecycleTest.Records("io.netty.util.ResourceLeakDetector");
             NetLab lab = new NetLab()) {
            String net = "127." + ThreadLocalRandom.current().nextInt(100, 250) + "." + ThreadLocalRandom.current().nextInt(1, 250);
            TwoGateways ports = new TwoGateways(dir, "udp"); // its free ports and keys only
            String prefix = "tso" + lab.id;
            String tA = lab.namespace("ovta");
            String tB = lab.namespace("ovtb");
            String tapA = "ovpa" + lab.id;
            String tapB = "ovpb" + lab.id;
            Gateway gwA = Gateway.start(Configs.loadOrFail(Files.writeString(dir.resolve("a.yaml"),
                    yaml(prefix + "a", net + ".1", net + ".2", ports, tapA, 0x1001, 0x2001))));
            Gateway gwB = null;
            try {
                gwB = Gateway.start(Configs.loadOrFail(Files.writeString(dir.resolve("b.yaml"),
                        yaml(prefix + "b", net + ".2", net + ".1", ports, tapB, 0x2001, 0x1001))));
                NetLab.moveIn(tapA, tA, "10.99.0.1/24", 1400);
                NetLab.moveIn(tapB, tB, "10.99.0.2/24", 1400);
                String ping = in(tA, "ping", "-c", "2", "-i", "0.2", "-W", "2", "10.99.0.2");
                assertTrue(ping.contains("2 received"), ping);
                Process receiver = lab.start("ip", "netns", "exec", tB, "/usr/bin/python3", "-c", RECEIVER);
                BufferedReader lines = new BufferedReader(new InputStreamReader(receiver.getInputStream(), StandardCharsets.UTF_8));
                assertEquals("listening", lines.readLine());
                String sent = in(tA, "/usr/bin/python3", "-c", SENDER, "10.99.0.2").strip();
                String received = lines.readLine();
                assertTrue(receiver.waitFor(30, TimeUnit.SECONDS));
                assertTrue(sent.startsWith(BYTES + " "), sent);
                assertEquals(sent, received, "what tB received (length, sha256) is what tA sent");

                GatewayStats.PortStats in = gwA.stats().ports().get("tap:" + tapA);
                GatewayStats.PortStats out = gwB.stats().ports().get("tap:" + tapB);
                assertTrue(in.rxGsoFrames() > 0 && in.rxGsoSegments() > in.rxGsoFrames(),
                        () -> "the sender's TSO super-frames reached gw-a's TAP: " + in);
                assertTrue(out.txGsoFrames() > 0 && out.txGsoSegments() > out.txGsoFrames(),
                        () -> "gw-b wrote coalesced super-frames: " + out);
                assertEquals(0, in.rxErrors(), in::toString);
            } finally {
                gwA.close();
                if (gwB != null) {
                    gwB.close();
                }
            }
            NetLab.assertNoThreadOrLeak(prefix, leaks);
        }
    }

    private static String yaml(String name, String address, String peerAddress, TwoGateways ports, String tap,
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
                  underlay-mtu: 1500
                  workers: 2
                peers:
                  %s: { address: %s }
                tenants:
                  blue: { vni: 1001, encapsulation: vxlan, peers: [%s], ports: [ { type: tap, name: %s } ] }
                security-associations:
                """.formatted(name, address, ports.esp, ports.vxlan, ports.geneve, peer, peerAddress, peer, tap)
                + TwoGateways.sa(outSpi, "out", peer, "blue", outSpi == 0x1001 ? TwoGateways.K_BLUE_AB : TwoGateways.K_BLUE_BA)
                + TwoGateways.sa(inSpi, "in", peer, "blue", inSpi == 0x1001 ? TwoGateways.K_BLUE_AB : TwoGateways.K_BLUE_BA);
    }
}
