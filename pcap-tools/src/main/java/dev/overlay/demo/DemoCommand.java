package dev.overlay.demo;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code overlay demo [--netns | --offline | --cluster]}: the live demonstration of CONTRACT.md (two
 * gateways, two tenants with the same addresses, udp ports), then with {@code --netns} the same over
 * TAP ports in network namespaces with ping and iperf3; {@code --cluster} is cluster mode's
 * ({@link ClusterDemo}). Exit 0 when every check held, 1 otherwise.
 */
@Command(name = "demo", description = {
        "Two gateways on 127.0.0.1 and 127.0.0.2 (ESP in UDP, AES-GCM-256, 2 workers each) carry two tenants whose "
                + "addresses overlap; checks every frame reaches its own tenant and nowhere else, and prints the table.",
        "--netns (root) also runs ping and iperf3 between the tenants' network namespaces across the encrypted overlay; "
                + "--ports pcap attaches them through pcap ports on veth pairs instead of TAP ports.",
        "--cluster starts a 3-member etcd and three gateways that find each other through it (no peer or SA in their "
                + "files), spread their hosts' MACs and roll their keys once under traffic; no root needed."})
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--netns", description = "Also build network namespaces with TAP ports and run ping and iperf3 (needs root).")
    boolean netns;

    @Option(names = "--ports", paramLabel = "tap|pcap", defaultValue = "tap",
            description = "With --netns: the tenant hosts on the gateways' TAP ports (default), or on veth pairs "
                    + "whose other ends are pcap ports, as hosts already wired to an interface are attached.")
    String ports;

    @Option(names = "--seconds", paramLabel = "N", defaultValue = "3",
            description = "How long each iperf3 test of --netns runs (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--cluster", description = "Cluster mode: etcd (3 members on 127.0.0.1) and three gateways on "
            + "127.0.0.1-3: membership, FDB spreading and one key rollover under traffic, then the table.")
    boolean cluster;

    @Option(names = "--offline", description = "Encode and decode the captures without running gateways; keeps the wire capture.")
    boolean offline;

    @Option(names = "--out-dir", paramLabel = "DIR",
            description = "With --offline: where to keep the wire capture (default: a new temporary directory).")
    Path outDir;

    @Option(names = "--root", paramLabel = "DIR", hidden = true,
            description = "The repository (default: the overlay.root property bin/overlay sets, else the current directory).")
    Path root;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        Path repo = root != null ? root : Path.of(System.getProperty("overlay.root", "."));
        if (offline) {
            return new OfflineDemo(repo, outDir, out).run();
        }
        if (cluster && netns) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--cluster and --netns: one at a time");
        }
        if (!ports.equals("tap") && !ports.equals("pcap")) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--ports: " + ports + " (expected: tap or pcap)");
        }
        if (ports.equals("pcap") && !netns) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--ports pcap needs --netns");
        }
        if (netns) {
            NetnsDemo.checkPrerequisites(); // before anything runs, so a refusal is the only output
        }
        if (seconds < 1 || seconds > 600) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--seconds: " + seconds + " (expected: 1 to 600)");
        }
        // The gateways' event lines are for `overlay run`; here the table says what happened.
        Logger gatewayLog = Logger.getLogger("dev.overlay.gateway");
        Level level = gatewayLog.getLevel();
        gatewayLog.setLevel(Level.WARNING);
        try {
            if (cluster) {
                return ClusterDemo.run(out) ? 0 : 1;
            }
            List<TenantFrames> traffic = List.of(TenantFrames.load(repo, "blue"), TenantFrames.load(repo, "red"));
            DemoReport report = LiveDemo.run(repo.resolve("configs/two-tenants-gw-a.yaml"),
                    repo.resolve("configs/two-tenants-gw-b.yaml"), traffic);
            report.print(out);
            boolean ok = report.ok();
            if (netns) {
                out.println();
                ok &= NetnsDemo.run(seconds, ports.equals("pcap"), out).stream().allMatch(NetnsDemo.Row::ok);
            }
            return ok ? 0 : 1;
        } finally {
            gatewayLog.setLevel(level);
        }
    }
}
