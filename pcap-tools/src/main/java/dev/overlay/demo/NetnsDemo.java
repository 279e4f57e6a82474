package dev.overlay.demo;

import dev.overlay.cli.Configs;
import dev.overlay.cli.UserException;
import dev.overlay.config.OverlayConfig;
import dev.overlay.datapath.Topology;
import dev.overlay.gateway.Gateway;
import dev.overlay.gateway.GatewayStats;
import dev.overlay.gateway.port.PortException;
import io.netty.util.ResourceLeakDetector;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code overlay demo --netns}: the two tenants as real hosts. Four network namespaces (blue and
 * red, side a and side b) each hold the kernel end of one of the gateways' TAP ports (with
 * {@code --ports pcap}, one end of a veth pair whose other end is the gateway's pcap port), and both
 * tenants use the same addresses, 10.0.0.1/24 on side a and 10.0.0.2/24 on side b. gw-a
 * (127.0.0.1) and gw-b (127.0.0.2) run in this process with fresh random AES-GCM-256 keys, ESP in
 * UDP; their configs are written to a temporary directory. Then ping and an iperf3 TCP test run
 * inside each tenant across the encrypted overlay, while the other tenant's counters must not move.
 */
final class NetnsDemo {
    static final String[] TENANTS = {"blue", "red"};
    private static final Pattern PING_COUNTS = Pattern.compile("(\\d+) packets transmitted, (\\d+) received");
    private static final Pattern PING_RTT = Pattern.compile("= ([\\d.]+)/([\\d.]+)/([\\d.]+)/[\\d.]+ ms");
    private static final Pattern IPERF_RECEIVED =
            Pattern.compile("\"sum_received\"\\s*:\\s*\\{[^}]*?\"bits_per_second\"\\s*:\\s*([0-9.eE+]+)");
    private static final Pattern IPERF_RETRANS = Pattern.compile("\"sum_sent\"\\s*:\\s*\\{[^}]*?\"retransmits\"\\s*:\\s*(\\d+)");

    /** What one tenant measured. */
    /**
     * One tenant's figures; {@code pathMtu} is what the near host's kernel learned for the far one
     * ({@code ip route get}: the gateways' ICMP Fragmentation Needed), 0 when it learned nothing.
     */
    record Row(String tenant, int transmitted, int received, String rtt, double mbps, long retransmits,
               long otherTenantFrames, int pathMtu, int tenantMtu) {
        boolean ok() {
            return transmitted > 0 && received == transmitted && mbps > 0 && otherTenantFrames == 0
                    && pathMtu == tenantMtu;
        }
    }

    /** The TAPs keep the MTU any new interface has: the tenants learn the overlay's from its ICMP. */
    static final int INTERFACE_MTU = 1500;
    private static final Pattern ROUTE_MTU = Pattern.compile("\\bmtu (\\d+)");

    private NetnsDemo() {
    }

    /** Checks what the demo needs, in one sentence each; runs nothing when something is missing. */
    static void checkPrerequisites() {
        if (!Shell.root()) {
            throw new UserException(UserException.USAGE,
                    "demo --netns needs root: it creates network namespaces and TAP devices (try: sudo bin/overlay demo --netns).");
        }
        for (String tool : List.of("ip", "ping", "iperf3")) {
            if (!Shell.onPath(tool)) {
                throw new UserException(UserException.USAGE, "demo --netns needs '" + tool
                        + "', which is not installed (apt-get install iproute2 iputils-ping iperf3).");
            }
        }
    }

    /**
     * With {@code pcap}, each tenant host is a veth pair's end inside its namespace and the
     * gateway's port is a pcap port on the other end, as a host already wired to a bridge or a
     * NIC is attached; otherwise the hosts hold the kernel ends of the gateways' TAP ports.
     */
    static List<Row> run(int seconds, boolean pcap, PrintWriter out) throws IOException {
        checkPrerequisites();
        Path dir = Files.createTempDirectory("overlay-netns-demo-", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        List<Row> rows = new ArrayList<>();
        try (NetnsLab lab = new NetnsLab()) {
            lab.closeFirst(() -> deleteTree(dir));
            String[] yaml = NetnsConfigs.pair(lab, new SecureRandom(), pcap);
            Path a = write(dir, "gw-a.yaml", yaml[0]);
            Path b = write(dir, "gw-b.yaml", yaml[1]);
            OverlayConfig configA = Configs.loadOrFail(a);
            OverlayConfig configB = Configs.loadOrFail(b);
            // While the TAPs move, the root namespace's IPv6 chatter on them (MLD, router
            // solicitations) crosses the overlay to a TAP that is down mid-move: the gateway's
            // one-time write-error warning would then be noise, and the port counts it anyway.
            Logger portLog = Logger.getLogger("dev.overlay.gateway.port");
            Level level = portLog.getLevel();
            portLog.setLevel(Level.SEVERE);
            Gateway gwA;
            Gateway gwB;
            int mtu;
            try {
                if (pcap) {
                    // A pcap port opens an interface that exists: the hosts are wired first.
                    for (String tenant : TENANTS) {
                        for (char side : new char[] {'a', 'b'}) {
                            String ns = lab.namespace(tenant, side);
                            lab.create(ns);
                            lab.vethPair(lab.veth(tenant, side), lab.tap(tenant, side), ns,
                                    side == 'a' ? "10.0.0.1/24" : "10.0.0.2/24", INTERFACE_MTU);
                        }
                    }
                }
                gwA = start(configA, a);
                lab.closeFirst(gwA);
                gwB = start(configB, b);
                lab.closeFirst(gwB);
                mtu = Topology.of(configA).tenant("blue").mtu();
                for (String tenant : TENANTS) {
                    for (char side : new char[] {'a', 'b'}) {
                        if (pcap) {
                            continue;
                        }
                        String ns = lab.namespace(tenant, side);
                        lab.create(ns);
                        lab.moveIn(lab.tap(tenant, side), ns, side == 'a' ? "10.0.0.1/24" : "10.0.0.2/24",
                                INTERFACE_MTU);
                    }
                    lab.pinNeighbours(tenant);
                }
            } finally {
                portLog.setLevel(level);
            }
            out.printf("netns demo: namespaces %s, %s, %s, %s; both tenants 10.0.0.1/24 <-> 10.0.0.2/24 on %s "
                    + "at MTU %d, their default offloads on; the overlay carries %d, which the tenants learn from "
                    + "the gateways' ICMP; configs in %s%n", lab.namespace("blue", 'a'), lab.namespace("blue", 'b'),
                    lab.namespace("red", 'a'), lab.namespace("red", 'b'),
                    pcap ? "veths whose other ends are the gateways' pcap ports" : "TAP ports", INTERFACE_MTU, mtu, dir);
            out.flush();
            for (int i = 0; i < TENANTS.length; i++) {
                rows.add(measure(lab, TENANTS[i], TENANTS[1 - i], seconds, gwA, gwB, mtu));
            }
            print(rows, gwA.stats(), gwB.stats(), out);
        }
        return rows;
    }

    private static Row measure(NetnsLab lab, String tenant, String other, int seconds, Gateway gwA, Gateway gwB,
                               int tenantMtu) {
        long otherBefore = awaitQuiet(gwA, gwB, other);
        String near = lab.namespace(tenant, 'a');
        String far = lab.namespace(tenant, 'b');
        Shell.Result ping = Shell.run(30, List.of("ip", "netns", "exec", near, "ping", "-c", "5", "-i", "0.2", "-W", "2",
                "10.0.0.2"));
        Matcher counts = PING_COUNTS.matcher(ping.out());
        int transmitted = counts.find() ? Integer.parseInt(counts.group(1)) : 0;
        int received = transmitted > 0 ? Integer.parseInt(counts.group(2)) : 0;
        Matcher rtt = PING_RTT.matcher(ping.out());
        String rttText = rtt.find() ? rtt.group(1) + "/" + rtt.group(2) + "/" + rtt.group(3) : "-";
        double mbps = 0;
        long retransmits = 0;
        Process server = null;
        try {
            server = new ProcessBuilder("ip", "netns", "exec", far, "iperf3", "-s", "-1", "-B", "10.0.0.2")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            Process s = server;
            lab.closeFirst(s::destroyForcibly);
            awaitListening(far);
            Shell.Result client = Shell.run(seconds + 20, List.of("ip", "netns", "exec", near, "iperf3", "-c", "10.0.0.2",
                    "-t", Integer.toString(seconds), "-J"));
            Matcher m = IPERF_RECEIVED.matcher(client.out());
            if (m.find()) {
                mbps = Double.parseDouble(m.group(1)) / 1e6;
            }
            Matcher r = IPERF_RETRANS.matcher(client.out());
            if (r.find()) {
                retransmits = Long.parseLong(r.group(1));
            }
            s.waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new UserException(UserException.UNREADABLE_INPUT, "demo: cannot run iperf3: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (server != null) {
                server.destroyForcibly();
            }
        }
        Matcher route = ROUTE_MTU.matcher(Shell.run(10, List.of("ip", "netns", "exec", near, "ip", "route", "get",
                "10.0.0.2")).out());
        int pathMtu = route.find() ? Integer.parseInt(route.group(1)) : 0;
        return new Row(tenant, transmitted, received, rttText, mbps, retransmits,
                otherFrames(gwA, gwB, other) - otherBefore, pathMtu, tenantMtu);
    }

    /** Waits until iperf3 listens on 5201 in {@code ns} (its own output is block-buffered into a pipe, so not that). */
    private static void awaitListening(String ns) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            Shell.Result r = Shell.run(5, List.of("ip", "netns", "exec", ns, "ss", "-Hltn", "sport", "=", ":5201"));
            if (r.exit() == 0 && !r.out().isBlank()) {
                return;
            }
            Thread.sleep(50);
        }
    }

    /**
     * Waits until the other tenant has been silent for a second (at most 10 s) and returns its
     * frame count then. The tenant measured before it may still be closing its iperf3 connection
     * (FIN, RST) when this one starts: those frames are its own traffic, not a leak.
     */
    private static long awaitQuiet(Gateway gwA, Gateway gwB, String tenant) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        long last = otherFrames(gwA, gwB, tenant);
        long since = System.nanoTime();
        while (System.nanoTime() < deadline) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            long now = otherFrames(gwA, gwB, tenant);
            if (now != last) {
                last = now;
                since = System.nanoTime();
            } else if (System.nanoTime() - since >= TimeUnit.SECONDS.toNanos(1)) {
                break;
            }
        }
        return last;
    }

    /** Frames the other tenant's ports gave to or took from the gateways: nothing should move while one tenant talks. */
    private static long otherFrames(Gateway gwA, Gateway gwB, String tenant) {
        long n = 0;
        for (GatewayStats s : List.of(gwA.stats(), gwB.stats())) {
            n += s.tenant(tenant).rxFrames() + s.tenant(tenant).txFrames();
        }
        return n;
    }

    private static void print(List<Row> rows, GatewayStats a, GatewayStats b, PrintWriter out) {
        out.println();
        String f = "%-8s %-6s %5s  %-24s %14s %8s  %8s  %s%n";
        out.printf(f, "TENANT", "PING", "LOSS", "RTT MIN/AVG/MAX (ms)", "IPERF3 TCP", "RETRANS", "PATH MTU",
                "OTHER TENANT FRAMES");
        for (Row r : rows) {
            int loss = r.transmitted == 0 ? 100 : 100 * (r.transmitted - r.received) / r.transmitted;
            out.printf(Locale.ROOT, f, r.tenant, r.received + "/" + r.transmitted, loss + "%", r.rtt,
                    String.format(Locale.ROOT, "%.0f Mbit/s", r.mbps), r.retransmits,
                    r.pathMtu == 0 ? "-" : Integer.toString(r.pathMtu), r.otherTenantFrames);
        }
        // Under iperf3's TCP load a worker queue may overflow (steering/congestion): TCP retransmits.
        out.println("gw-a drops: " + DemoReport.drops(a) + "; gw-b drops: " + DemoReport.drops(b));
        leakDetectionNote(ResourceLeakDetector.getLevel()).ifPresent(out::println);
        boolean ok = rows.stream().allMatch(Row::ok);
        out.println(ok ? "result: each tenant reached its own far side across the encrypted overlay, and the other "
                + "tenant saw none of it" : "result: FAILED: see the table");
        out.flush();
    }

    /**
     * A warning under the table when Netty's leak detector is PARANOID (the test suite's level):
     * it records a stack trace at every access of every buffer, so the gateways spend their time
     * in it and iperf3 measures that: 16-42 Mbit/s instead of 1-2.6 Gbit/s. ADVANCED, which traces
     * one buffer in 128, costs far less (0.7-1.1 Gbit/s) and gets no note.
     */
    static Optional<String> leakDetectionNote(ResourceLeakDetector.Level level) {
        if (level != ResourceLeakDetector.Level.PARANOID) {
            return Optional.empty();
        }
        return Optional.of("note: Netty's leak detector is PARANOID in this JVM (io.netty.leakDetection.level): "
                + "a stack trace at every buffer access, so the iperf3 figures measure the detector, not the gateway "
                + "(bin/overlay demo --netns runs without it)");
    }

    private static Gateway start(OverlayConfig config, Path file) {
        try {
            return Gateway.start(config);
        } catch (PortException e) {
            throw new UserException(UserException.USAGE, file + ": " + e.getMessage(), e);
        }
    }

    /** Owner-only: the file holds keys. */
    private static Path write(Path dir, String name, String text) throws IOException {
        Path p = Files.createFile(dir.resolve(name), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rw-------")));
        Files.writeString(p, text);
        return p;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
