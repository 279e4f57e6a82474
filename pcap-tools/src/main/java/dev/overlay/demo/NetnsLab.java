package dev.overlay.demo;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The network namespaces of {@code demo --netns}, named with a per-run suffix so two runs (or a
 * run and the tests) never meet, and removed again however the run ends: {@link #close()} runs
 * from the demo's {@code finally} and from a shutdown hook (Ctrl-C), whichever comes first.
 * Deleting a namespace deletes the interfaces in it.
 */
final class NetnsLab implements AutoCloseable {
    /** Four hex digits, in every name this run creates. */
    final String id = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt(1 << 16)).substring(4);
    private final List<String> namespaces = new ArrayList<>();
    /** The root namespace's ends of veth pairs: deleted here, since a namespace's own go asynchronously. */
    private final List<String> veths = new ArrayList<>();
    private final List<AutoCloseable> before = new ArrayList<>();
    private final Thread hook = Thread.ofPlatform().name("overlay-demo-cleanup").unstarted(this::close);
    private boolean closed;

    NetnsLab() {
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** {@code ovl-<tenant>-<side>-<id>}, e.g. ovl-blue-a-3f2c. */
    String namespace(String tenant, char side) {
        return "ovl-" + tenant + "-" + side + "-" + id;
    }

    /** {@code ovl<t><side>-<id>}, e.g. ovlba-3f2c: within the 15 bytes of an interface name. */
    String tap(String tenant, char side) {
        return "ovl" + tenant.charAt(0) + side + "-" + id;
    }

    /**
     * {@code ovl<t><side>p-<id>}, e.g. ovlbap-3f2c: the gateway's end of a tenant host's veth pair
     * ({@code demo --netns --ports pcap}), in this namespace; the host's end is {@link #tap}'s name.
     */
    String veth(String tenant, char side) {
        return "ovl" + tenant.charAt(0) + side + "p-" + id;
    }

    /**
     * A veth pair as a tenant host is wired to a pcap port: {@code near} here (up, no address,
     * IPv6 off so this namespace's own chatter stays off the overlay), {@code far} made inside
     * {@code ns} with an address and MTU, link up; both at the veth's default offloads. Deleting
     * the namespace deletes the pair.
     */
    void vethPair(String near, String far, String ns, String cidr, int mtu) {
        synchronized (this) {
            veths.add(near);
        }
        Shell.check("ip", "link", "add", near, "type", "veth", "peer", "name", far, "netns", ns);
        Shell.check("sysctl", "-qw", "net.ipv6.conf." + near + ".disable_ipv6=1");
        Shell.check("ip", "link", "set", near, "up");
        Shell.check("ip", "-n", ns, "link", "set", far, "mtu", Integer.toString(mtu));
        Shell.check("ip", "-n", ns, "addr", "add", cidr, "dev", far);
        Shell.check("ip", "-n", ns, "link", "set", far, "up");
    }

    /** Something to close before the namespaces go (gateways, iperf3 servers), last added first. */
    synchronized void closeFirst(AutoCloseable c) {
        before.add(0, c);
    }

    /** Creates a namespace with its loopback up and IPv6 off (no router solicitations on the overlay). */
    void create(String ns) {
        synchronized (this) {
            namespaces.add(ns);
        }
        Shell.check("ip", "netns", "add", ns);
        Shell.check("ip", "-n", ns, "link", "set", "lo", "up");
        // default: interfaces moved in later get it too.
        Shell.check("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                "net.ipv6.conf.default.disable_ipv6=1");
    }

    /** Moves an interface of the root namespace into {@code ns} and gives it an address and MTU, link up. */
    void moveIn(String device, String ns, String cidr, int mtu) {
        // An open TAP survives the move: the descriptor belongs to the device, wherever it lives.
        Shell.check("ip", "link", "set", device, "netns", ns);
        Shell.check("ip", "-n", ns, "link", "set", device, "mtu", Integer.toString(mtu));
        Shell.check("ip", "-n", ns, "addr", "add", cidr, "dev", device);
        Shell.check("ip", "-n", ns, "link", "set", device, "up");
    }

    /**
     * Permanent neighbour entries between a tenant's two hosts. Without them the kernel probes a
     * neighbour again (ARP) a few seconds after traffic stops, so a tenant at rest still sends a
     * frame now and then, and the demo's isolation check, which counts every frame of the other
     * tenant, would see it.
     */
    void pinNeighbours(String tenant) {
        String nsA = namespace(tenant, 'a');
        String nsB = namespace(tenant, 'b');
        String macA = mac(nsA, tap(tenant, 'a'));
        String macB = mac(nsB, tap(tenant, 'b'));
        Shell.check("ip", "-n", nsA, "neigh", "replace", "10.0.0.2", "lladdr", macB, "dev", tap(tenant, 'a'),
                "nud", "permanent");
        Shell.check("ip", "-n", nsB, "neigh", "replace", "10.0.0.1", "lladdr", macA, "dev", tap(tenant, 'b'),
                "nud", "permanent");
    }

    private static String mac(String ns, String device) {
        return Shell.check("ip", "netns", "exec", ns, "cat", "/sys/class/net/" + device + "/address").strip();
    }

    @Override
    public void close() {
        List<AutoCloseable> first;
        List<String> ns;
        List<String> links;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            first = new ArrayList<>(before);
            ns = new ArrayList<>(namespaces);
            links = new ArrayList<>(veths);
        }
        for (AutoCloseable c : first) {
            try {
                c.close();
            } catch (Exception e) {
                System.err.println("overlay demo: cleanup: " + e.getMessage());
            }
        }
        for (String link : links) {
            // Deleting one end deletes the pair, at once (a deleted namespace's go in the background).
            Shell.Result r = Shell.run(10, List.of("ip", "link", "del", link));
            if (r.exit() != 0 && !r.out().contains("Cannot find device")) {
                System.err.println("overlay demo: could not delete veth " + link + ": " + r.out().strip());
            }
        }
        for (String n : ns) {
            Shell.Result r = Shell.run(10, List.of("ip", "netns", "del", n));
            if (r.exit() != 0 && !r.out().contains("No such file")) {
                System.err.println("overlay demo: could not delete namespace " + n + ": " + r.out().strip());
            }
        }
        if (Thread.currentThread() != hook) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // The hook is running or about to: nothing left for it to do.
            }
        }
    }
}
