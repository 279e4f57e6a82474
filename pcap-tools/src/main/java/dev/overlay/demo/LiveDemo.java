package dev.overlay.demo;

import dev.overlay.cli.Configs;
import dev.overlay.cli.UserException;
import dev.overlay.config.GatewayConfig;
import dev.overlay.config.OverlayConfig;
import dev.overlay.config.PortConfig;
import dev.overlay.config.TenantConfig;
import dev.overlay.gateway.Gateway;
import dev.overlay.gateway.GatewayStats;
import dev.overlay.gateway.port.PortException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * {@code overlay demo}: gw-a and gw-b run in this process as {@code overlay run} would run them
 * ({@code configs/two-tenants-gw-*.yaml}: 127.0.0.1 and 127.0.0.2, ESP in UDP, AES-GCM-256, two
 * workers each). This process plays the tenants' hosts: it binds the {@code remote} address of
 * every {@code udp} tenant port, replays each tenant's conversation from {@code test-pcaps/} (each
 * frame from the side of its sender, into the gateway's {@code listen} port), and collects what
 * every one of the four tenant ends receives. A frame counts as intact when it is byte-identical
 * to one its own tenant sent from the other side; anything else that arrives is counted as wrong.
 */
final class LiveDemo {
    /** How long to wait for the last frame, and then for anything more that should not come. */
    private static final long DEADLINE_MILLIS = 5_000;
    private static final long QUIET_MILLIS = 300;

    /** One tenant host: the socket at a tenant port's {@code remote}, and the gateway's {@code listen}. */
    record End(String tenant, boolean sideA, DatagramChannel channel, InetSocketAddress gateway) {}

    private LiveDemo() {
    }

    /** Runs both gateways, the traffic and the checks; returns what went where. */
    static DemoReport run(Path configA, Path configB, List<TenantFrames> traffic) throws IOException {
        // The gateways keep their sequence numbers in a private state-dir, as a deployment would
        // (gateway.state-dir): no nonce is reused across demo runs, and no warning says it might be.
        Path state = Files.createTempDirectory("overlay-demo-state-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        OverlayConfig a = withStateDir(Configs.loadOrFail(configA), state);
        OverlayConfig b = withStateDir(Configs.loadOrFail(configB), state);
        Map<String, DemoReport.TenantRow> rows = new LinkedHashMap<>();
        List<End> ends = new ArrayList<>();
        Gateway gwA = null;
        Gateway gwB = null;
        try {
            for (TenantFrames t : traffic) {
                ends.add(open(t.tenant(), true, a, configA));
                ends.add(open(t.tenant(), false, b, configB));
                rows.put(t.tenant(), new DemoReport.TenantRow(t.tenant(), a.tenants().get(t.tenant())));
            }
            gwA = start(a, configA);
            gwB = start(b, configB);
            int expected = send(traffic, ends, rows);
            receive(traffic, ends, rows, expected);
        } finally {
            // Stopped before they are read: a stopped gateway's counters are exact.
            if (gwA != null) {
                gwA.close();
            }
            if (gwB != null) {
                gwB.close();
            }
            for (End e : ends) {
                e.channel.close();
            }
            try (var files = Files.list(state)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(state);
        }
        return new DemoReport(a, List.copyOf(rows.values()),
                List.of(new DemoReport.GatewayRow(gwA.name(), gwA.stats()), new DemoReport.GatewayRow(gwB.name(), gwB.stats())));
    }

    private static OverlayConfig withStateDir(OverlayConfig c, Path dir) {
        GatewayConfig g = c.gateway();
        GatewayConfig withDir = new GatewayConfig(g.name(), g.address(), g.mac(), g.espTransport(), g.espPort(),
                g.vxlanPort(), g.genevePort(), g.underlayMtu(), g.workers(), g.steering(), g.metrics(),
                Optional.of(dir), g.pinWorkers(), g.underlayFragmentation(), g.cluster());
        return new OverlayConfig(c.source(), withDir, c.peers(), c.tenants(), c.securityAssociations(), c.locations());
    }

    private static Gateway start(OverlayConfig config, Path file) {
        try {
            return Gateway.start(config);
        } catch (PortException e) {
            throw new UserException(UserException.USAGE, file + ": " + e.getMessage()
                    + " (is another overlay demo or gateway running?)", e);
        }
    }

    private static End open(String tenant, boolean sideA, OverlayConfig config, Path file) throws IOException {
        TenantConfig t = config.tenants().get(tenant);
        PortConfig.UdpPort udp = t == null ? null : t.ports().stream()
                .filter(PortConfig.UdpPort.class::isInstance).map(PortConfig.UdpPort.class::cast).findFirst().orElse(null);
        if (udp == null) {
            throw new UserException(UserException.USAGE, file + ": tenants." + tenant
                    + ".ports: the demo needs a udp port for tenant " + tenant);
        }
        DatagramChannel ch = DatagramChannel.open();
        try {
            ch.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
            ch.bind(udp.remote());
            ch.configureBlocking(false);
        } catch (IOException e) {
            ch.close();
            throw new UserException(UserException.USAGE, "demo: cannot bind " + tenant + "'s host at "
                    + udp.remote().getAddress().getHostAddress() + ":" + udp.remote().getPort() + " (" + file
                    + "): " + e.getMessage(), e);
        }
        return new End(tenant, sideA, ch, udp.listen());
    }

    private static End end(List<End> ends, String tenant, boolean sideA) {
        return ends.stream().filter(e -> e.tenant.equals(tenant) && e.sideA == sideA).findFirst().orElseThrow();
    }

    /** Frame i of every tenant, then frame i + 1: the tenants interleave on the overlay as they would live. */
    private static int send(List<TenantFrames> traffic, List<End> ends, Map<String, DemoReport.TenantRow> rows)
            throws IOException {
        int max = traffic.stream().mapToInt(t -> t.frames().size()).max().orElse(0);
        int sent = 0;
        for (int i = 0; i < max; i++) {
            for (TenantFrames t : traffic) {
                if (i >= t.frames().size()) {
                    continue;
                }
                byte[] frame = t.frames().get(i);
                End from = end(ends, t.tenant(), t.fromA().get(i));
                from.channel.send(ByteBuffer.wrap(frame), from.gateway);
                rows.get(t.tenant()).sent(frame.length);
                sent++;
            }
        }
        return sent;
    }

    private static void receive(List<TenantFrames> traffic, List<End> ends, Map<String, DemoReport.TenantRow> rows,
                                int expected) throws IOException {
        // What each end may receive: its tenant's frames sent from the other side, each once.
        Map<End, List<byte[]>> owed = new LinkedHashMap<>();
        for (End e : ends) {
            List<byte[]> list = new ArrayList<>();
            TenantFrames t = traffic.stream().filter(x -> x.tenant().equals(e.tenant)).findFirst().orElseThrow();
            for (int i = 0; i < t.frames().size(); i++) {
                if (t.fromA().get(i) != e.sideA) {
                    list.add(t.frames().get(i));
                }
            }
            owed.put(e, list);
        }
        ByteBuffer buf = ByteBuffer.allocate(65_536);
        int arrived = 0;
        try (Selector selector = Selector.open()) {
            for (End e : ends) {
                e.channel.register(selector, SelectionKey.OP_READ, e);
            }
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DEADLINE_MILLIS);
            long quietUntil = Long.MAX_VALUE;
            while (true) {
                long now = System.nanoTime();
                if (arrived >= expected && quietUntil == Long.MAX_VALUE) {
                    quietUntil = now + TimeUnit.MILLISECONDS.toNanos(QUIET_MILLIS);
                }
                long until = Math.min(deadline, quietUntil);
                if (now >= until) {
                    break;
                }
                selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(until - now)));
                for (SelectionKey key : selector.selectedKeys()) {
                    End e = (End) key.attachment();
                    while (buf.clear() != null && e.channel.receive(buf) != null) {
                        byte[] frame = Arrays.copyOf(buf.array(), buf.position());
                        arrived++;
                        DemoReport.TenantRow row = rows.get(e.tenant);
                        if (take(owed.get(e), frame)) {
                            row.intact(frame.length);
                        } else {
                            row.wrong(frame.length);
                        }
                    }
                }
                selector.selectedKeys().clear();
            }
        }
    }

    /** Removes one frame equal to {@code frame} from {@code owed}; false when there is none. */
    private static boolean take(List<byte[]> owed, byte[] frame) {
        for (int i = 0; i < owed.size(); i++) {
            if (Arrays.equals(owed.get(i), frame)) {
                owed.remove(i);
                return true;
            }
        }
        return false;
    }
}
