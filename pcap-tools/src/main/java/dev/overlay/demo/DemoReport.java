package dev.overlay.demo;

import dev.overlay.config.OverlayConfig;
import dev.overlay.config.SaConfig;
import dev.overlay.config.TenantConfig;
import dev.overlay.gateway.GatewayStats;
import dev.overlay.steering.WorkerStats;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** What the live demo saw, and the table it prints. */
final class DemoReport {

    /** One tenant: frames its hosts sent, and what arrived at its ends. */
    static final class TenantRow {
        final String tenant;
        final TenantConfig config;
        long sent;
        long sentBytes;
        /** Every frame that arrived at one of this tenant's ends, intact or not. */
        long received;
        long receivedBytes;
        long intact;
        /** Arrivals that were not one of this tenant's frames from the other side. */
        long wrong;

        TenantRow(String tenant, TenantConfig config) {
            this.tenant = tenant;
            this.config = config;
        }

        void sent(int bytes) {
            sent++;
            sentBytes += bytes;
        }

        void intact(int bytes) {
            intact++;
            received++;
            receivedBytes += bytes;
        }

        void wrong(int bytes) {
            wrong++;
            received++;
            receivedBytes += bytes;
        }

        long lost() {
            return sent - intact;
        }
    }

    record GatewayRow(String name, GatewayStats stats) {}

    private final OverlayConfig configA;
    final List<TenantRow> tenants;
    final List<GatewayRow> gateways;

    DemoReport(OverlayConfig configA, List<TenantRow> tenants, List<GatewayRow> gateways) {
        this.configA = configA;
        this.tenants = tenants;
        this.gateways = gateways;
    }

    /** Every frame arrived intact at its own tenant, nothing arrived anywhere else, no gateway dropped anything. */
    boolean ok() {
        return tenants.stream().allMatch(t -> t.sent > 0 && t.lost() == 0 && t.wrong == 0)
                && gateways.stream().allMatch(g -> g.stats.totalDrops() == 0);
    }

    void print(PrintWriter out) {
        var gw = configA.gateway();
        String peers = configA.peers().values().stream().map(p -> p.address().getHostAddress())
                .collect(Collectors.joining(", "));
        String algorithms = configA.securityAssociations().stream().map(SaConfig::algorithm)
                .map(a -> a.configName().toUpperCase(Locale.ROOT)).distinct().collect(Collectors.joining(", "));
        out.printf("overlay demo: %s %s <-> %s, ESP %s, %s, %d workers each%n", gw.name(),
                gw.address().getHostAddress(), peers,
                gw.espTransport().configName().equals("udp") ? "in UDP " + gw.espPort() : "(IP protocol 50)",
                algorithms, gw.workers());
        out.println("each tenant's conversation from test-pcaps/ replayed by its two hosts (the same inner IP "
                + "addresses in every tenant), through the gateways' udp tenant ports");
        out.println();
        String f = "%-8s %-7s %5s %6s %8s %9s %8s %9s %6s %6s%n";
        out.printf(f, "TENANT", "ENCAP", "VNI", "SENT", "BYTES", "RECEIVED", "BYTES", "INTACT", "WRONG", "DROPS");
        for (TenantRow t : tenants) {
            out.printf(f, t.tenant, t.config.encapsulation().configName(), t.config.vni(), t.sent, t.sentBytes,
                    t.received, t.receivedBytes, t.intact, t.wrong, t.lost());
        }
        out.println();
        String w = "%-8s %-7s %8s %7s  %s%n";
        out.printf(w, "GATEWAY", "WORKER", "PACKETS", "SHARE", "");
        for (GatewayRow g : gateways) {
            List<WorkerStats> workers = g.stats.workers();
            long total = workers.stream().mapToLong(WorkerStats::packets).sum();
            for (WorkerStats ws : workers) {
                double share = total == 0 ? 0 : 100.0 * ws.packets() / total;
                out.printf(Locale.ROOT, w, g.name, ws.worker(), ws.packets(), String.format(Locale.ROOT, "%.1f%%", share),
                        bar(share));
            }
        }
        out.println();
        for (GatewayRow g : gateways) {
            out.println(g.name + " drops: " + drops(g.stats));
        }
        out.println(ok() ? "result: every frame arrived intact at its own tenant, and nowhere else"
                : "result: FAILED: frames were lost, dropped or reached the wrong tenant");
        out.flush();
    }

    private static String bar(double share) {
        return "#".repeat((int) Math.round(share / 5));
    }

    /** {@code none}, or {@code stage/reason=count, ...} for the non-zero counts. */
    static String drops(GatewayStats s) {
        if (s.totalDrops() == 0) {
            return "none";
        }
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Map<String, Long>> stage : s.drops().entrySet()) {
            stage.getValue().forEach((reason, n) -> {
                if (n != 0) {
                    sb.append(sb.isEmpty() ? "" : ", ").append(stage.getKey()).append('/').append(reason).append('=').append(n);
                }
            });
        }
        return sb.toString();
    }
}
