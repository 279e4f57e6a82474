package dev.overlay.demo;

import dev.overlay.cli.Configs;
import dev.overlay.cli.UserException;
import dev.overlay.cluster.ClusterAgent;
import dev.overlay.cluster.FreePorts;
import dev.overlay.cluster.LocalEtcd;
import dev.overlay.config.OverlayConfig;
import dev.overlay.gateway.Gateway;
import dev.overlay.gateway.GatewayStats;
import dev.overlay.gateway.port.PortException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * {@code overlay demo --cluster}: a 3-member etcd on 127.0.0.1 and three gateways on 127.0.0.1,
 * .2 and .3 whose configs name no peer and no SA, only {@code gateway.cluster} and two tenants
 * with {@code udp} ports (no root). It shows the three steps of cluster mode with frames flowing:
 * membership forming through etcd, the hosts' MACs spreading as remote FDB entries (unicast then
 * goes to one gateway, not flooded), and one key rollover of every gateway, triggered as an
 * operator would ({@code etcdctl put PREFIX/rekey}), under counted streams that must lose nothing.
 * Everything it starts (etcd, gateways, sockets, a temporary directory) goes on exit or Ctrl-C.
 */
final class ClusterDemo implements AutoCloseable {
    static final String[] TENANTS = {"blue", "red"};
    static final String[] ENCAPS = {"vxlan", "geneve"};
    private static final Duration WAIT = Duration.ofSeconds(60);

    private final PrintWriter out;
    private final Path dir;
    private final Thread hook = Thread.ofPlatform().name("overlay-demo-cluster-cleanup").unstarted(this::close);
    private LocalEtcd etcd;
    private final List<Gateway> gateways = new ArrayList<>();
    private final List<ClusterAgent> agents = new ArrayList<>();
    /** [gateway][tenant] */
    private final ClusterHost[][] hosts = new ClusterHost[3][TENANTS.length];
    private boolean closed;

    private ClusterDemo(PrintWriter out) throws IOException {
        this.out = out;
        this.dir = Files.createTempDirectory("overlay-demo-cluster-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Installs etcd as bin/test does when root; otherwise one sentence saying what to install. */
    static void checkPrerequisites(PrintWriter out) {
        if (LocalEtcd.installed() && Shell.onPath("etcdctl")) {
            return;
        }
        if (!Shell.root() || !Shell.onPath("apt-get")) {
            throw new UserException(UserException.USAGE, "demo --cluster needs etcd: install Debian's etcd-server and "
                    + "etcd-client (sudo apt-get install etcd-server etcd-client), or run the demo as root to have them installed.");
        }
        out.println("demo: installing etcd-server and etcd-client (apt-get)...");
        out.flush();
        Shell.Result update = Shell.run(600, List.of("apt-get", "update", "-q"));
        Shell.Result install = Shell.run(600, List.of("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y",
                "-q", "--no-install-recommends", "etcd-server", "etcd-client"));
        if (install.exit() != 0 || !LocalEtcd.installed()) {
            throw new UserException(UserException.UNREADABLE_INPUT, "demo: apt-get could not install etcd-server and "
                    + "etcd-client: " + (install.exit() != 0 ? install.out() : update.out()).strip());
        }
    }

    /** Runs the demonstration; true when every check held. */
    static boolean run(PrintWriter out) throws IOException {
        checkPrerequisites(out);
        try (ClusterDemo demo = new ClusterDemo(out)) {
            return demo.play();
        }
    }

    private boolean play() throws IOException {
        etcd = LocalEtcd.start(Files.createDirectory(dir.resolve("etcd")), 3, WAIT);
        String prefix = "/overlay/demo-" + ProcessHandle.current().pid();
        List<String> addresses = List.of("127.0.0.1", "127.0.0.2", "127.0.0.3");
        // The hosts' sockets first, then every gateway port at once while they are held: a port
        // closed and chosen again (the kernel may hand a freed port out next) would collide.
        for (int g = 0; g < 3; g++) {
            for (int t = 0; t < TENANTS.length; t++) {
                hosts[g][t] = new ClusterHost(addresses.get(g), g, t);
            }
        }
        int[] ports;
        try {
            ports = FreePorts.udp(addresses, 3 + 3 * TENANTS.length);
        } catch (UncheckedIOException e) {
            throw new UserException(UserException.USAGE, "demo: " + e.getCause().getMessage(), e);
        }
        int esp = ports[0];
        int vxlan = ports[1];
        int geneve = ports[2];
        for (int g = 0; g < 3; g++) {
            for (int t = 0; t < TENANTS.length; t++) {
                hosts[g][t].gatewayPort(ports[3 + g * TENANTS.length + t]);
            }
        }
        out.printf("etcd     3 members: %s%n", String.join(" ", etcd.endpoints()));

        // 1. Membership: each gateway registers under a lease; the others find it in etcd.
        long start = System.nanoTime();
        for (int g = 0; g < 3; g++) {
            StringBuilder tenants = new StringBuilder();
            for (int t = 0; t < TENANTS.length; t++) {
                tenants.append("  ").append(TENANTS[t]).append(": { vni: ").append(1001 + t).append(", encapsulation: ")
                        .append(ENCAPS[t]).append(", ports: [ { type: udp, listen: \"").append(hosts[g][t].gateway())
                        .append("\", remote: \"").append(hosts[g][t].address()).append("\" } ] }\n");
            }
            Path file = Files.writeString(dir.resolve("gw-" + (g + 1) + ".yaml"), """
                    gateway:
                      name: gw-%d
                      address: %s
                      esp-port: %d
                      vxlan-port: %d
                      geneve-port: %d
                      workers: 2
                      cluster: { etcd: [%s], prefix: %s, rekey-interval: 0, rekey-grace: 1, lease-ttl: 5 }
                    tenants:
                    %s""".formatted(g + 1, addresses.get(g), esp, vxlan, geneve, String.join(", ", etcd.endpoints()), prefix,
                    tenants));
            OverlayConfig config = Configs.loadOrFail(file);
            try {
                gateways.add(Gateway.start(config));
            } catch (PortException e) {
                throw new UserException(UserException.USAGE, "demo: " + e.getMessage(), e);
            }
            agents.add(ClusterAgent.start(gateways.get(g), config));
        }
        long last = System.nanoTime();
        boolean meshed = await(() -> agents.stream().allMatch(a -> a.status().ready().size() == 2 * TENANTS.length));
        out.printf("members  gw-1 gw-2 gw-3 registered under leases (started in %d ms); %d ms after the last start every "
                + "gateway sends to the other two, both tenants (no peer or SA in any file)%n", last - start > 0
                ? TimeUnit.NANOSECONDS.toMillis(last - start) : 0, millis(last));

        // 2. FDB: each host says hello; its gateway announces the MAC, the others install it.
        start = System.nanoTime();
        for (ClusterHost[] row : hosts) {
            for (ClusterHost h : row) {
                h.send(ClusterHost.BROADCAST, h.mac(), "hello");
            }
        }
        boolean spread = await(() -> {
            for (Gateway gw : gateways) {
                for (String t : TENANTS) {
                    if (gw.topology().tenant(t).fdb().remoteCount() != 2) {
                        return false;
                    }
                }
            }
            return true;
        });
        out.printf("fdb      each gateway's hosts announced through etcd: every gateway holds 2 remote entries per "
                + "tenant after %d ms%n", millis(start));
        long[] unknownBefore = unknownUnicast();
        int unicast = 0;
        for (int t = 0; t < TENANTS.length; t++) {
            for (int a = 0; a < 3; a++) {
                for (int b = 0; b < 3; b++) {
                    if (a != b) {
                        for (int i = 0; i < 20; i++) {
                            hosts[a][t].send(hosts[b][t].mac(), hosts[a][t].mac(), "u" + a + b + " " + i);
                            unicast++;
                        }
                    }
                }
            }
        }
        boolean delivered = await(() -> received("u") == 120 * TENANTS.length);
        sleep(300);
        boolean notFlooded = received("u") == unicast && sameAs(unknownBefore, unknownUnicast());
        out.printf("unicast  %d frames host to host: %d delivered, each to its own host only, %d flooded as unknown "
                + "unicast%n", unicast, received("u"), sum(unknownUnicast()) - sum(unknownBefore));

        // 3. One rollover of every gateway, under traffic, as an operator triggers it.
        List<ClusterHost.Stream> streams = new ArrayList<>();
        for (int t = 0; t < TENANTS.length; t++) {
            for (int g = 0; g < 3; g++) {
                streams.add(hosts[g][t].stream(hosts[(g + 1) % 3][t], "s" + g + t, 200));
            }
        }
        sleep(1000);
        start = System.nanoTime();
        Shell.Result put = Shell.run(30, List.of("etcdctl", "--endpoints", String.join(",", etcd.endpoints()), "put",
                prefix + "/rekey", "demo"));
        boolean rolled = put.exit() == 0 && await(() -> agents.stream().allMatch(a -> a.status().rollovers() == 1));
        long rolledMillis = millis(start);
        sleep(1500);
        long sent = 0;
        long lost = 0;
        for (ClusterHost.Stream s : streams) {
            sent += s.stop();
        }
        sleep(1000);
        for (ClusterHost.Stream s : streams) {
            lost += s.lost();
        }
        out.printf("rollover etcdctl put %s/rekey: every gateway installed generation 2, published it, and the others "
                + "switched after %d ms; %d frames in flight, %d lost%n", prefix, rolledMillis, sent, lost);

        out.println();
        table();
        out.println();
        out.println("in etcd (etcdctl get --prefix " + prefix + " --keys-only):");
        Shell.Result keys = Shell.run(30, List.of("etcdctl", "--endpoints", String.join(",", etcd.endpoints()), "get",
                "--prefix", prefix, "--keys-only"));
        keys.out().lines().filter(l -> !l.isBlank()).forEach(l -> out.println("  " + l));
        long saDrops = gateways.stream().mapToLong(g -> saDrops(g.stats())).sum();
        boolean ok = meshed && spread && delivered && notFlooded && rolled && lost == 0 && saDrops == 0;
        out.println();
        out.println(ok ? "result: membership formed through etcd, FDB entries spread, and every gateway rolled its keys "
                + "with frames flowing and none lost"
                : "result: FAILED (meshed " + meshed + ", fdb " + spread + ", unicast " + (delivered && notFlooded)
                        + ", rolled " + rolled + ", lost " + lost + ", sa drops " + saDrops + ")");
        return ok;
    }

    private void table() {
        out.println("GATEWAY  ADDRESS     ID  PUBLIC KEY        PEERS  SAS  GENERATION  FDB REMOTE  SA DROPS");
        for (int g = 0; g < 3; g++) {
            ClusterAgent.Status s = agents.get(g).status();
            GatewayStats st = gateways.get(g).stats();
            OverlayConfig c = gateways.get(g).config();
            int remote = 0;
            for (String t : TENANTS) {
                remote += st.tenant(t).fdbRemoteEntries();
            }
            out.printf(Locale.ROOT, "%-8s %-11s %2d  %-16s  %5d  %3d  %10d  %10d  %8d%n", gateways.get(g).name(),
                    c.gateway().address().getHostAddress(), s.id(), s.publicKeyId(), c.peers().size(),
                    c.securityAssociations().size(), s.generation(), remote, saDrops(st));
        }
        out.println();
        out.println("TENANT   ENCAP    VNI   TX FRAMES  RX FRAMES  UNKNOWN-UNICAST");
        for (int t = 0; t < TENANTS.length; t++) {
            long tx = 0;
            long rx = 0;
            long unknown = 0;
            for (Gateway g : gateways) {
                GatewayStats.TenantStats ts = g.stats().tenant(TENANTS[t]);
                tx += ts.txFrames();
                rx += ts.rxFrames();
                unknown += ts.txUnknownUnicast();
            }
            out.printf(Locale.ROOT, "%-8s %-7s %4d  %9d  %9d  %15d%n", TENANTS[t], ENCAPS[t], 1001 + t, tx, rx, unknown);
        }
    }

    private static long saDrops(GatewayStats s) {
        return s.drops("unknown-spi") + s.drops("integrity") + s.drops("no-sa") + s.drops("replay");
    }

    private long[] unknownUnicast() {
        long[] v = new long[3];
        for (int g = 0; g < 3; g++) {
            for (String t : TENANTS) {
                v[g] += gateways.get(g).stats().tenant(t).txUnknownUnicast();
            }
        }
        return v;
    }

    private static boolean sameAs(long[] a, long[] b) {
        return java.util.Arrays.equals(a, b);
    }

    private static long sum(long[] v) {
        return java.util.Arrays.stream(v).sum();
    }

    /** Frames whose tag starts with {@code prefix} that arrived at any host. */
    private int received(String prefix) {
        int n = 0;
        for (ClusterHost[] row : hosts) {
            for (ClusterHost h : row) {
                n += h.received(prefix);
            }
        }
        return n;
    }

    private static boolean await(BooleanSupplier condition) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            sleep(50);
        }
        return true;
    }

    private static long millis(long since) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Leaves the cluster, stops the gateways and etcd, deletes the directory: on exit and on Ctrl-C. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        agents.forEach(ClusterAgent::close);
        gateways.forEach(Gateway::close);
        for (ClusterHost[] row : hosts) {
            for (ClusterHost h : row) {
                if (h != null) {
                    h.close();
                }
            }
        }
        if (etcd != null) {
            etcd.close();
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // a temporary directory: nothing more to do
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // this is the hook running
        }
    }
}
