package dev.overlay.testpcaps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.cluster.LocalEtcd;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cluster mode from the jar bin/overlay runs: two {@code overlay run} processes with nothing but
 * a {@code gateway.cluster} section find each other through etcd and carry a frame, which needs
 * jetcd, gRPC and vert.x whole inside the shaded jar (their META-INF/services merged); SIGHUP
 * adds a tenant through the agent; SIGTERM leaves the cluster and exits 0.
 */
class ShadedJarClusterTest {

    private static int freeUdpPort(String address) throws IOException {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(address, 0))) {
            return s.getLocalPort();
        }
    }

    private static String config(String name, String address, List<String> etcd, String prefix, int esp, int vxlan,
                                 int listen, int remote, boolean red, int redListen, int redRemote) {
        return """
                gateway:
                  name: %s
                  address: %s
                  esp-port: %d
                  vxlan-port: %d
                  geneve-port: %d
                  workers: 1
                  cluster: { etcd: [%s], prefix: %s, lease-ttl: 5 }
                tenants:
                  blue: { vni: 1001, ports: [ { type: udp, listen: "%s:%d", remote: "%s:%d" } ] }
                %s""".formatted(name, address, esp, vxlan, vxlan + 1, String.join(", ", etcd), prefix, address, listen,
                address, remote, red ? "  red: { vni: 1002, ports: [ { type: udp, listen: \"%s:%d\", remote: \"%s:%d\" } ] }\n"
                        .formatted(address, redListen, address, redRemote) : "");
    }

    private static Process run(Path jar, Path config, Path log) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-jar", jar.toString(), "run", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static void awaitLog(Path log, String text) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.readString(log).contains(text)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no '" + text + "' in " + log + ":\n" + Files.readString(log));
            }
            Thread.sleep(100);
        }
    }

    private static void signal(Process p, String signal) throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start().waitFor());
    }

    @Test
    void twoOverlayRunProcessesFormAClusterThroughEtcdAndLeaveIt(@TempDir Path dir) throws Exception {
        Path jar = Tools.moduleDir().resolveSibling("pcap-tools").resolve("target").resolve("overlay.jar");
        assertTrue(Files.isRegularFile(jar), () -> jar + " is missing: pcap-tools is packaged before test-pcaps");
        String a = "127.0.14.1";
        String b = "127.0.14.2";
        int esp = freeUdpPort(a);
        int vxlan = freeUdpPort(a);
        int[] ports = new int[6];
        for (int i = 0; i < ports.length; i++) {
            ports[i] = freeUdpPort(i % 2 == 0 ? a : b);
        }
        List<Process> processes = new ArrayList<>();
        try (LocalEtcd etcd = LocalEtcd.start(Files.createDirectory(dir.resolve("etcd")), 1, Duration.ofSeconds(30));
             DatagramSocket hostA = new DatagramSocket(new InetSocketAddress(a, ports[2]));
             DatagramSocket hostB = new DatagramSocket(new InetSocketAddress(b, ports[3]))) {
            String prefix = "/overlay/jar-" + ProcessHandle.current().pid();
            Path configA = dir.resolve("gw-a.yaml");
            Path configB = dir.resolve("gw-b.yaml");
            Files.writeString(configA, config("gw-a", a, etcd.endpoints(), prefix, esp, vxlan, ports[0], ports[2], false, 0, 0));
            Files.writeString(configB, config("gw-b", b, etcd.endpoints(), prefix, esp, vxlan, ports[1], ports[3], false, 0, 0));
            Path logA = dir.resolve("gw-a.log");
            Path logB = dir.resolve("gw-b.log");
            Process gwA = run(jar, configA, logA);
            processes.add(gwA);
            Process gwB = run(jar, configB, logB);
            processes.add(gwB);
            awaitLog(logA, "event=cluster-registered");
            awaitLog(logB, "event=cluster-registered");

            // A broadcast from the host behind gw-a reaches the host behind gw-b once the two are meshed.
            byte[] frame = new byte[60];
            Arrays.fill(frame, 0, 6, (byte) 0xFF);
            frame[6] = 0x02;
            frame[11] = 0x0A;
            frame[12] = 0x08;
            byte[] payload = "through the jar".getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(payload, 0, frame, 14, payload.length);
            hostB.setSoTimeout(500);
            byte[] got = null;
            for (int i = 0; i < 60 && got == null; i++) {
                hostA.send(new DatagramPacket(frame, frame.length, new InetSocketAddress(a, ports[0])));
                byte[] buf = new byte[2048];
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                try {
                    hostB.receive(p);
                    got = Arrays.copyOf(buf, p.getLength());
                } catch (SocketTimeoutException notYet) {
                    // not meshed yet
                }
            }
            assertArrayEquals(frame, got, () -> {
                try {
                    return "no frame through the cluster; gw-a:\n" + Files.readString(logA) + "\ngw-b:\n" + Files.readString(logB);
                } catch (IOException e) {
                    return e.toString();
                }
            });

            // SIGHUP: a tenant added to gw-a's file goes through the agent (and into etcd).
            Files.writeString(configA, config("gw-a", a, etcd.endpoints(), prefix, esp, vxlan, ports[0], ports[2], true,
                    ports[4], ports[5]));
            signal(gwA, "HUP");
            awaitLog(logA, "event=tenant-added tenant=red");

            signal(gwA, "TERM");
            signal(gwB, "TERM");
            assertTrue(gwA.waitFor(30, TimeUnit.SECONDS) && gwB.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, gwA.exitValue(), Files.readString(logA));
            assertEquals(0, gwB.exitValue(), Files.readString(logB));
            String textA = Files.readString(logA);
            assertTrue(textA.contains("event=cluster-left"), textA);
            assertTrue(!textA.contains("Exception") && !textA.contains("SLF4J"), textA);
        } finally {
            processes.forEach(Process::destroyForcibly);
        }
    }
}
