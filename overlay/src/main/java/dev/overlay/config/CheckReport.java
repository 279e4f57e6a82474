package dev.overlay.config;

import dev.overlay.vtep.GeneveOption;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The resolved view that {@code check} prints: gateway, peers, and per tenant its VNI,
 * encapsulation, VLAN, security, peers, fdb, options, ports, effective MTU with its arithmetic,
 * and its SAs. No key byte is ever printed, not even in part: the report is meant to be pasted
 * into tickets.
 */
public final class CheckReport {

    private final OverlayConfig config;
    private final List<ConfigError> warnings;
    private final ConfigResult result;

    /** The report of a config complete for every use. */
    public CheckReport(OverlayConfig config, List<ConfigError> warnings) {
        this.config = config;
        this.warnings = List.copyOf(warnings);
        this.result = null;
    }

    private CheckReport(ConfigResult result) {
        this.config = result.orThrow();
        this.warnings = result.warnings();
        this.result = result;
    }

    /** The report of a valid load; {@link IllegalStateException} if it has errors. */
    public static CheckReport of(ConfigResult result) {
        return new CheckReport(result);
    }

    /**
     * The uses a file is complete for, and what the others lack:
     * {@code complete for: decode, decrypt, inspect, wireshark-keys (run and encode need an out SA
     * for tenant blue to peer gw-b)}; {@code complete for: none} when an error holds for every use.
     */
    public static String completeFor(ConfigResult result) {
        Set<Purpose> complete = result.completeFor();
        StringBuilder sb = new StringBuilder("complete for: ");
        sb.append(complete.isEmpty() ? "none"
                : complete.stream().map(Purpose::commandName).collect(Collectors.joining(", ")));
        if (complete.isEmpty() || complete.size() == Purpose.ALL.size()) {
            return sb.toString();
        }
        // One clause per set of uses a gap gates, in the order the gaps were found.
        Map<Set<Purpose>, List<String>> needs = new LinkedHashMap<>();
        for (ConfigGap g : result.gaps()) {
            List<String> list = needs.computeIfAbsent(g.purposes(), k -> new ArrayList<>());
            if (!list.contains(g.need())) {
                list.add(g.need());
            }
        }
        List<String> clauses = new ArrayList<>();
        needs.forEach((purposes, list) -> {
            List<String> names = purposes.stream().map(Purpose::commandName).toList();
            String who = names.size() == 1 ? names.get(0) + " needs "
                    : String.join(", ", names.subList(0, names.size() - 1)) + " and " + names.getLast() + " need ";
            clauses.add(who + String.join(", ", list));
        });
        return sb.append(" (").append(String.join("; ", clauses)).append(')').toString();
    }

    public String render() {
        StringBuilder sb = new StringBuilder();
        GatewayConfig g = config.gateway();
        sb.append("config ").append(config.source()).append(": valid\n");
        sb.append(result == null ? "complete for: " + Purpose.ALL.stream().map(Purpose::commandName)
                .collect(Collectors.joining(", ")) : completeFor(result)).append("\n\n");
        sb.append("gateway ").append(g.name()).append('\n');
        sb.append("  address ").append(address(g.address()))
                .append(g.mac().map(m -> ", mac " + m).orElse("")).append('\n');
        sb.append("  esp-transport ").append(g.espTransport().configName());
        if (g.espTransport() == GatewayConfig.EspTransport.UDP) {
            sb.append(" (esp-port ").append(g.espPort()).append(')');
        }
        sb.append(", vxlan-port ").append(g.vxlanPort()).append(", geneve-port ").append(g.genevePort()).append('\n');
        sb.append("  underlay-mtu ").append(g.underlayMtu()).append(", workers ").append(g.workers())
                .append(g.pinWorkers() ? " (pinned to cores)" : "")
                .append(", steering ").append(g.steering().configName())
                .append(g.metrics().map(m -> ", metrics " + hostPort(m)).orElse("")).append('\n');
        sb.append("  underlay-fragmentation ").append(g.underlayFragmentation().configName())
                .append(g.fragmentationAllowed()
                        ? " (outer packets may be fragmented: the tenant MTU is the underlay MTU)"
                        : " (outer packets carry DF: the tenant MTU is what fits unfragmented)").append('\n');
        sb.append("  state-dir ").append(g.stateDir().map(d -> d + " (sequence numbers persist across restarts)")
                .orElse("- (sequence numbers restart at initial-sequence)")).append('\n');
        g.cluster().ifPresent(c -> sb.append("  cluster ").append(cluster(c)).append('\n'));

        sb.append("\npeers\n");
        for (PeerConfig p : config.peers().values()) {
            sb.append("  ").append(p.name()).append("  ").append(address(p.address()))
                    .append(p.mac().map(m -> "  mac " + m).orElse("")).append('\n');
        }
        for (TenantConfig t : config.tenants().values()) {
            tenant(sb, t);
        }
        if (!warnings.isEmpty()) {
            sb.append("\nwarnings\n");
            for (ConfigError w : warnings) {
                sb.append("  ").append(w).append('\n');
            }
        }
        return sb.toString();
    }

    /** {@code etcd http://..., prefix /overlay/x, ...}: never the pre-shared key, only whether there is one. */
    static String cluster(ClusterConfig c) {
        return "etcd " + c.etcd().stream().map(Object::toString).collect(Collectors.joining(" "))
                + ", prefix " + c.prefix() + (c.tls().isPresent() ? ", tls" : "")
                + ", psk " + (c.hasPsk() ? "set" : "none") + ", algorithm " + c.algorithm().configName()
                + ", rekey-interval " + c.rekeySeconds() + " s, rekey-grace " + c.graceSeconds()
                + " s, lease-ttl " + c.leaseSeconds() + " s";
    }

    /** The same view as one JSON object, for {@code check --json}. */
    public String renderJson() {
        return CheckJson.render(config, warnings, result == null ? Purpose.ALL : result.completeFor());
    }

    private void tenant(StringBuilder sb, TenantConfig t) {
        sb.append("\ntenant ").append(t.name()).append('\n');
        sb.append("  vni ").append(t.vni()).append(", encapsulation ").append(t.encapsulation().configName())
                .append(", vlan ").append(t.vlan().isPresent() ? String.valueOf(t.vlan().getAsInt()) : "-")
                .append(", security ").append(t.security().configName());
        if (t.security() == TenantConfig.Security.NONE) {
            sb.append(" (cleartext)");
        }
        sb.append('\n');
        sb.append("  peers ").append(t.peers().isEmpty() ? "-" : String.join(", ", t.peers()));
        if (config.gateway().cluster().isPresent()) {
            sb.append(" (and the cluster's gateways carrying ").append(t.encapsulation().configName()).append(' ')
                    .append(t.vni()).append(')');
        }
        sb.append('\n');
        for (FdbEntryConfig f : t.fdb()) {
            sb.append("  fdb ").append(f.mac()).append(" -> ").append(f.peer()).append('\n');
        }
        for (GeneveOption o : t.geneveOptions()) {
            sb.append("  geneve-option ").append(String.format("class 0x%04x type 0x%02x data 0x%s",
                    o.optionClass(), o.type(), HexFormat.of().formatHex(o.data()))).append(o.critical() ? " (critical)" : "").append('\n');
        }
        for (PortConfig p : t.ports()) {
            sb.append("  port ").append(port(p)).append('\n');
        }
        TenantMtu mtu = TenantMtu.worstCase(config.gateway(), t, config.securityAssociations());
        sb.append("  mtu ").append(mtu.mtu()).append(" (");
        if (mtu.fragmentationAllowed()) {
            sb.append("underlay-fragmentation allow: ").append(mtu.outerLength()).append("-byte outer packets");
            sb.append(mtu.fragments() > 1 ? " in " + mtu.fragments() + " fragments" : ", unfragmented");
            sb.append("; unfragmented limit ");
        }
        sb.append(mtu.breakdown());
        if (mtu.sa() != null) {
            sb.append(", worst case: spi ").append(mtu.sa().spiHex());
        }
        sb.append("); larger frames: ").append(largerFrames(mtu.mtu())).append(", ")
                .append(mssClamp(t.mssClamp(), mtu.mtu())).append('\n');
        List<SaConfig> sas = new ArrayList<>(config.sas(t.name(), SaConfig.Direction.OUT));
        sas.addAll(config.sas(t.name(), SaConfig.Direction.IN));
        if (sas.isEmpty()) {
            return;
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"spi", "dir", "peer", "algorithm", "icv", "integrity", "mode", "esn", "window",
                "initial-seq", "lifetime"});
        for (SaConfig sa : sas) {
            rows.add(new String[] {sa.spiHex(), sa.direction().configName(), sa.peer(), sa.algorithm().configName(),
                    String.valueOf(sa.icvLength()), sa.integrity() == null ? "-" : sa.integrity().configName(),
                    sa.mode().configName(), sa.esn() ? "yes" : "no",
                    sa.direction() == SaConfig.Direction.IN ? String.valueOf(sa.replayWindow()) : "-",
                    Long.toUnsignedString(sa.initialSequence()), lifetime(sa.lifetime())});
        }
        table(sb, rows, "  sa  ");
    }

    /** What becomes of a tenant frame above {@code mtu} (the datapath's PathMtu stage). */
    static String largerFrames(int mtu) {
        return "ICMP fragmentation-needed (IPv4 with DF) / "
                + (mtu >= TenantMtu.IPV6_MIN_MTU ? "packet-too-big (IPv6) to the sender" : "IPv6 dropped (mtu below 1280)")
                + ", IPv4 without DF fragmented, others dropped (too-big)";
    }

    static String mssClamp(MssClampConfig clamp, int mtu) {
        return clamp.on() ? "mss clamped to " + clamp.ipv4(mtu) + "/" + clamp.ipv6(mtu) + " (IPv4/IPv6, mss-clamp "
                + clamp.configName() + ")" : "mss-clamp off";
    }

    private static void table(StringBuilder sb, List<String[]> rows, String indent) {
        int[] width = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        for (int row = 0; row < rows.size(); row++) {
            StringBuilder line = new StringBuilder(row == 0 ? indent : " ".repeat(indent.length()));
            String[] r = rows.get(row);
            for (int i = 0; i < r.length; i++) {
                line.append(r[i]).append(" ".repeat(width[i] - r[i].length() + 2));
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
    }

    private static String port(PortConfig p) {
        return switch (p) {
            case PortConfig.TapPort tap -> "tap " + tap.name() + (tap.queues() > 1 ? " (" + tap.queues() + " queues)" : "");
            case PortConfig.PcapPort pcap -> "pcap " + pcap.interfaceName();
            case PortConfig.UdpPort udp -> "udp listen " + hostPort(udp.listen()) + " remote " + hostPort(udp.remote());
        };
    }

    private static String lifetime(SaConfig.Lifetime l) {
        if (l.unlimited()) {
            return "unlimited";
        }
        List<String> parts = new ArrayList<>();
        if (l.packets() > 0) {
            parts.add(l.packets() + " packets");
        }
        if (l.bytes() > 0) {
            parts.add(l.bytes() + " bytes");
        }
        if (l.seconds() > 0) {
            parts.add(l.seconds() + " s");
        }
        return parts.stream().collect(Collectors.joining("/"));
    }

    static String hostPort(InetSocketAddress a) {
        String host = address(a.getAddress());
        return (a.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    /** RFC 5952 text for IPv6 (longest run of zero groups as "::"), dotted quad for IPv4. */
    static String address(InetAddress a) {
        String s = a.getHostAddress();
        if (!(a instanceof Inet6Address)) {
            return s;
        }
        int pct = s.indexOf('%');
        String scope = pct < 0 ? "" : s.substring(pct);
        String[] g = (pct < 0 ? s : s.substring(0, pct)).split(":");
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < g.length; ) {
            int j = i;
            while (j < g.length && g[j].equals("0")) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        if (bestStart < 0) {
            return String.join(":", g) + scope;
        }
        String head = String.join(":", List.of(g).subList(0, bestStart));
        String tail = String.join(":", List.of(g).subList(bestStart + bestLen, g.length));
        return head + "::" + tail + scope;
    }
}
