package dev.overlay.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code overlay run} as user nobody in a child JVM started by util-linux {@code setpriv}, as
 * THREAT-MODEL.md tells operators to run it: with CAP_NET_ADMIN and CAP_NET_RAW only (ambient, so
 * the JVM keeps them) a TAP port and raw protocol-50 ESP open; without them the same config stops
 * with one sentence and exit 2; a {@code pcap} port needs CAP_NET_RAW alone; a config of {@code udp}
 * ports and ESP in UDP needs no capability.
 * The test itself must be root to switch users: under CI (which runs as root) anything else fails.
 */
class PrivilegesTest {
    static final String CAPS = "+net_admin,+net_raw";
    private static Path shared;
    private static String classPath;

    @BeforeAll
    static void readableClassPath() throws IOException {
        if (!isRoot()) {
            return;
        }
        // The test's class path lives under /root (mode 0700): give nobody a readable copy (hard
        // links where the file system allows, copies otherwise).
        shared = Files.createTempDirectory("overlay-privileges");
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxr-xr-x"));
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> entries = new ArrayList<>();
        int n = 0;
        for (String entry : cp.split(java.io.File.pathSeparator)) {
            Path from = Path.of(entry);
            if (entry.isEmpty() || !Files.exists(from) || entry.contains("test-classes")) {
                continue;
            }
            Path to = shared.resolve((n++) + "-" + from.getFileName());
            if (Files.isDirectory(from)) {
                try (Stream<Path> files = Files.walk(from)) {
                    for (Path f : (Iterable<Path>) files::iterator) {
                        Path t = to.resolve(from.relativize(f).toString());
                        if (Files.isDirectory(f)) {
                            Files.createDirectories(t);
                            Files.setPosixFilePermissions(t, PosixFilePermissions.fromString("rwxr-xr-x"));
                        } else {
                            Files.copy(f, t, StandardCopyOption.REPLACE_EXISTING);
                            Files.setPosixFilePermissions(t, PosixFilePermissions.fromString("rw-r--r--"));
                        }
                    }
                }
            } else {
                try {
                    Files.createLink(to, from);
                } catch (IOException | UnsupportedOperationException e) {
                    Files.copy(from, to);
                }
                Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("rw-r--r--"));
            }
            entries.add(to.toString());
        }
        classPath = String.join(java.io.File.pathSeparator, entries);
    }

    @AfterAll
    static void removeCopy() throws IOException {
        if (shared != null) {
            try (Stream<Path> files = Files.walk(shared)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void tapPortAndRawEspOpenAsNobodyWithOnlyNetAdminAndNetRaw() throws Exception {
        if (!rootOrCi()) {
            return;
        }
        String tap = "ovpriv" + ProcessHandle.current().pid() % 100000;
        Path config = config("tap-raw.yaml", "ip", "{ type: tap, name: " + tap + " }");
        // CAP_NET_ADMIN allows creating the device, not opening the node: udev ships /dev/net/tun
        // as 0666, but some containers (this CI's included) make it 0600. Give it the udev mode
        // for the run and put the original back.
        Path tun = Path.of("/dev/net/tun");
        var mode = Files.getPosixFilePermissions(tun);
        Files.setPosixFilePermissions(tun, PosixFilePermissions.fromString("rw-rw-rw-"));
        Process p = run(config, "--inh-caps=" + CAPS, "--ambient-caps=" + CAPS);
        try {
            String log = awaitStarted(p);
            assertTrue(log.contains("port=tap:" + tap) || log.contains(tap), log);
            String status = Files.readString(Path.of("/proc/" + p.pid() + "/status"));
            assertTrue(status.contains("Uid:\t65534"), status);
            // CAP_NET_ADMIN is bit 12, CAP_NET_RAW bit 13: nothing else is effective.
            assertTrue(status.contains("CapEff:\t0000000000003000"), status);
            Process ip = new ProcessBuilder("ip", "link", "show", tap).redirectErrorStream(true).start();
            String link = new String(ip.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, ip.waitFor(), link);
            assertTrue(link.contains("UP"), link);
        } finally {
            p.destroy(); // SIGTERM: a graceful stop
            Files.setPosixFilePermissions(tun, mode);
        }
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), () -> drain(p.getErrorStream()));
    }

    @Test
    void pcapPortOpensAsNobodyWithOnlyNetRaw() throws Exception {
        if (!rootOrCi()) {
            return;
        }
        String veth = "ovprp" + ProcessHandle.current().pid() % 100000;
        NetLab.sh("ip", "link", "add", veth, "type", "veth", "peer", "name", veth + "p");
        Process p;
        try {
            NetLab.sh("ip", "link", "set", veth, "up");
            p = run(config("pcap.yaml", "udp", "{ type: pcap, interface: " + veth + " }"),
                    "--inh-caps=+net_raw", "--ambient-caps=+net_raw");
        } catch (IOException | RuntimeException | Error e) {
            NetLab.run("ip", "link", "del", veth);
            throw e;
        }
        try {
            String log = awaitStarted(p);
            assertTrue(log.contains("port=pcap:" + veth) && log.contains("vnet-hdr"), log);
            String status = Files.readString(Path.of("/proc/" + p.pid() + "/status"));
            // CAP_NET_RAW is bit 13 and nothing else: the 4 MB buffers fall back to SO_RCVBUF quietly.
            assertTrue(status.contains("CapEff:\t0000000000002000"), status);
        } finally {
            p.destroy();
            NetLab.run("ip", "link", "del", veth);
        }
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), () -> drain(p.getErrorStream()));
    }

    @Test
    void withoutTheCapabilitiesTapRawEspAndPcapAreOneSentenceAndExitTwo() throws Exception {
        if (!rootOrCi()) {
            return;
        }
        Path tapConfig = config("tap.yaml", "udp", "{ type: tap, name: ovnocap0 }");
        Path rawConfig = config("raw.yaml", "ip", udpPort());
        Path pcapConfig = config("pcap-nocap.yaml", "udp", "{ type: pcap, interface: lo }");
        for (Path config : List.of(tapConfig, rawConfig, pcapConfig)) {
            Process p = run(config, "--inh-caps=-all");
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "exits by itself");
            String err = drain(p.getErrorStream()).strip();
            assertEquals(2, p.exitValue(), err);
            List<String> lines = err.lines().filter(l -> !l.startsWith("WARNING")).toList();
            assertEquals(1, lines.size(), err);
            assertTrue(lines.get(0).startsWith("overlay: "), err);
            assertTrue(lines.get(0).toLowerCase(java.util.Locale.ROOT).contains("cap_net_"), err);
        }
    }

    @Test
    void udpPortsAndEspInUdpRunAsNobodyWithNoCapabilityAtAll() throws Exception {
        if (!rootOrCi()) {
            return;
        }
        Process p = run(config("udp.yaml", "udp", udpPort()), "--inh-caps=-all");
        try {
            awaitStarted(p);
            String status = Files.readString(Path.of("/proc/" + p.pid() + "/status"));
            assertTrue(status.contains("CapEff:\t0000000000000000"), status);
        } finally {
            p.destroy();
        }
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());
    }

    private static String udpPort() {
        return "{ type: udp, listen: 127.0.0.1:" + TwoGateways.freeUdpPort() + ", remote: 127.0.0.1:"
                + TwoGateways.freeUdpPort() + " }";
    }

    private static Path config(String name, String transport, String port) throws IOException {
        String yaml = "gateway:\n  name: gw-priv\n  address: 127.0.0.1\n  esp-transport: " + transport
                + "\n  esp-port: " + TwoGateways.freeUdpPort() + "\n  workers: 1\n"
                + "peers:\n  gw-b: { address: 127.0.0.2 }\n"
                + "tenants:\n  blue: { vni: 1001, peers: [gw-b], ports: [ " + port + " ] }\n"
                + "security-associations:\n"
                + TwoGateways.sa(0x1001, "out", "gw-b", "blue", TwoGateways.K_BLUE_AB)
                + TwoGateways.sa(0x2001, "in", "gw-b", "blue", TwoGateways.K_BLUE_BA);
        Path file = shared.resolve(name);
        Files.writeString(file, yaml);
        // Readable by nobody, as the operator's config would be for the service user.
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        return file;
    }

    private static Process run(Path config, String... capabilityArgs) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"));
        cmd.addAll(List.of(capabilityArgs));
        cmd.addAll(List.of("--", Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", classPath, "dev.overlay.cli.Main", "run", "--config",
                config.toString()));
        return new ProcessBuilder(cmd).directory(shared.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
    }

    /** Reads the child's stderr until its {@code started} event; everything read so far. */
    private static String awaitStarted(Process p) throws Exception {
        StringBuilder log = new StringBuilder();
        InputStream err = p.getErrorStream();
        long deadline = System.nanoTime() + 60_000_000_000L;
        byte[] buf = new byte[4096];
        while (!log.toString().contains("event=started")) {
            if (System.nanoTime() > deadline || !p.isAlive() && err.available() == 0) {
                fail("the gateway did not start as nobody: " + log + drain(err));
            }
            if (err.available() > 0) {
                int n = err.read(buf);
                log.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            } else {
                Thread.sleep(50);
            }
        }
        Thread.sleep(300);
        while (err.available() > 0) {
            int n = err.read(buf);
            log.append(new String(buf, 0, n, StandardCharsets.UTF_8));
        }
        return log.toString();
    }

    private static String drain(InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(" + e + ")";
        }
    }

    private static boolean isRoot() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** True when this test can run; false (with a line saying why) only outside CI. */
    private static boolean rootOrCi() {
        if (isRoot()) {
            return true;
        }
        if ("true".equals(System.getenv("CI"))) {
            fail("switching to user nobody needs root; CI runs the suite as root");
        }
        System.err.println("PrivilegesTest: not root, capability runs not tested here");
        return false;
    }
}
