package dev.overlay.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.overlay.gateway.port.PortTesting;
import dev.overlay.gateway.port.TcpBulkScripts;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Network namespaces, veth pairs and commands for the end-to-end tests, as users build them with
 * ip(8). Every name carries this run's 4-hex-digit {@link #id}, so concurrent runs never meet, and
 * {@link #close()} deletes everything it made, also after a failed assertion.
 */
final class NetLab implements AutoCloseable {
    final String id = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt(1 << 16)).substring(4);
    private final List<String> namespaces = new ArrayList<>();
    private final List<String> links = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();
    private final List<String> routes = new ArrayList<>();

    /**
     * True when this process is root. Otherwise the test fails under CI (which runs the suite as
     * root), and elsewhere says why it did nothing and returns false.
     */
    static boolean root(String test) {
        try {
            boolean root = Files.readString(Path.of("/proc/self/status")).lines()
                    .anyMatch(l -> l.startsWith("Uid:") && l.split("\\s+")[2].equals("0"));
            if (!root && "true".equals(System.getenv("CI"))) {
                fail(test + " builds network namespaces and needs root; CI runs the suite as root");
            }
            if (!root) {
                System.err.println(test + ": not root, namespaces not built here (CI runs it as root)");
            }
            return root;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** A random 127.x.y: {@code net + ".1"} and {@code net + ".2"} are the gateways' underlay addresses on lo. */
    static String underlayNet() {
        return "127." + ThreadLocalRandom.current().nextInt(100, 250) + "." + ThreadLocalRandom.current().nextInt(1, 250);
    }

    /** Commands in namespaces may take longer than the port tests' 20 s: ip netns, veth moves. */
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** Runs a command (stdout and stderr together), waiting up to 30 s. */
    static PortTesting.Result run(String... command) {
        return PortTesting.run(TIMEOUT, command);
    }

    /** Runs a command that must succeed. */
    static String sh(String... command) {
        return PortTesting.sh(TIMEOUT, command);
    }

    /** {@code ip netns exec ns command...}, which must succeed. */
    static String in(String ns, String... command) {
        String[] full = new String[command.length + 4];
        full[0] = "ip";
        full[1] = "netns";
        full[2] = "exec";
        full[3] = ns;
        System.arraycopy(command, 0, full, 4, command.length);
        return sh(full);
    }

    /** {@code prefix-id}: a namespace name of this run. */
    String name(String prefix) {
        return prefix + "-" + id;
    }

    /** A namespace with loopback up and IPv6 off, so nothing but the test's own traffic crosses the overlay. */
    String namespace(String prefix) {
        String ns = name(prefix);
        namespaces.add(ns);
        sh("ip", "netns", "add", ns);
        sh("ip", "-n", ns, "link", "set", "lo", "up");
        in(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
        return ns;
    }

    /**
     * A veth pair {@code near} (root namespace, up) and {@code far} (moved into {@code ns} with
     * {@code cidr}, up); both with {@code mtu}. Names are at most 15 bytes: keep prefixes short.
     * Returns once {@code near} has its IPv6 link-local address: the JDK lists (and the pcap port
     * finds) only interfaces that hold some address. What the root namespace sends out of
     * {@code near} never enters the overlay: a pcap port reads direction in only.
     */
    void veth(String near, String far, String ns, String cidr, int mtu) throws InterruptedException {
        links.add(near);
        sh("ip", "link", "add", near, "mtu", Integer.toString(mtu), "type", "veth", "peer", "name", far,
                "mtu", Integer.toString(mtu));
        sh("sysctl", "-qw", "net.ipv6.conf." + near + ".disable_ipv6=0");
        sh("ip", "link", "set", near, "up");
        sh("ip", "link", "set", far, "netns", ns);
        if (cidr != null) {
            sh("ip", "-n", ns, "addr", "add", cidr, "dev", far);
        }
        sh("ip", "-n", ns, "link", "set", far, "up");
        TwoGateways.waitFor(() -> run("ip", "-6", "addr", "show", "dev", near).out().contains("fe80"),
                near + "'s link-local address");
    }

    /** Moves an interface of the root namespace (a gateway's TAP) into {@code ns}, with an address, up. */
    static void moveIn(String device, String ns, String cidr, int mtu) {
        sh("ip", "link", "set", device, "netns", ns);
        sh("ip", "-n", ns, "link", "set", device, "mtu", Integer.toString(mtu));
        sh("ip", "-n", ns, "addr", "add", cidr, "dev", device);
        sh("ip", "-n", ns, "link", "set", device, "up");
    }

    /**
     * A host route in the root namespace's local table that gives the path to {@code address}
     * (one of 127/8, where the gateways meet) an MTU of {@code mtu}, so the loopback underlay
     * behaves like a 1500-byte link: the kernel fragments or refuses (EMSGSIZE) what is larger.
     */
    void localRouteMtu(String address, int mtu) {
        sh("ip", "route", "add", "local", address + "/32", "dev", "lo", "table", "local", "mtu", "lock",
                Integer.toString(mtu));
        routes.add(address + "/32");
    }

    /** A root-namespace link this lab must delete (made by the test itself). */
    void own(String link) {
        links.add(link);
    }

    /** A process to stop at {@link #close()} if the test has not. */
    Process start(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        processes.add(p);
        return p;
    }

    /**
     * {@code bytes} random bytes over TCP from namespace {@code fromNs} to {@code to}, an address
     * (IPv4 or IPv6) of namespace {@code toNs}, with Python's sockets at both ends: the sender
     * completes, and what {@code toNs} received (length, sha256) is what {@code fromNs} sent.
     */
    void assertTcpCarries(String fromNs, String toNs, String to, int bytes) throws Exception {
        int port = 5301 + ThreadLocalRandom.current().nextInt(100);
        Process receiver = start("ip", "netns", "exec", toNs, "/usr/bin/python3", "-c", TcpBulkScripts.RECEIVER,
                to.contains(":") ? "::" : "0.0.0.0", Integer.toString(port), "120");
        BufferedReader lines = new BufferedReader(new InputStreamReader(receiver.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("listening", lines.readLine());
        Process sender = start("ip", "netns", "exec", fromNs, "/usr/bin/python3", "-c", TcpBulkScripts.SENDER, to,
                Integer.toString(port), "11", Integer.toString(bytes), "120");
        String sent = new String(sender.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(sender.waitFor(180, TimeUnit.SECONDS), "the sender finished");
        assertEquals(0, sender.exitValue(), sent);
        String received = lines.readLine();
        assertTrue(receiver.waitFor(30, TimeUnit.SECONDS), "the receiver finished");
        assertTrue(sent.startsWith(bytes + " "), sent);
        assertEquals(sent, received, "what " + toNs + " received (length, sha256) is what " + fromNs + " sent");
    }

    /** The receive counter of {@code dev} in {@code ns}. */
    static long rxPackets(String ns, String dev) {
        return Long.parseLong(in(ns, "cat", "/sys/class/net/" + dev + "/statistics/rx_packets").strip());
    }

    @Override
    public void close() {
        for (Process p : processes) {
            p.destroyForcibly();
        }
        for (String l : links) {
            run("ip", "link", "del", l); // also removes its veth peer, wherever that is
        }
        for (String r : routes) {
            run("ip", "route", "del", "local", r, "dev", "lo", "table", "local");
        }
        for (String ns : namespaces) {
            run("ip", "netns", "del", ns);
        }
    }

    /**
     * After every gateway named {@code prefix...} stopped: no thread of theirs is left, and Netty's
     * paranoid leak detector, which reports a buffer collected unreleased on a later allocation,
     * reported nothing into {@code leaks}.
     */
    static void assertNoThreadOrLeak(String prefix, GatewayLifecycleTest.Records leaks) throws InterruptedException {
        TwoGateways.waitFor(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.isAlive() && t.getName().startsWith("overlay-" + prefix)), "no thread of " + prefix + " left");
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(50);
            ByteBuf probe = PooledByteBufAllocator.DEFAULT.directBuffer(64);
            probe.release();
        }
        assertTrue(leaks.text().isEmpty(), () -> "Netty's leak detector reported:\n" + leaks.text());
    }
}
