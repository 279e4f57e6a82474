package dev.overlay.config;

import dev.overlay.vtep.GeneveOption;
import dev.overlay.vtep.GeneveOptions;
import dev.overlay.vtep.MacAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import org.snakeyaml.engine.v2.nodes.Node;

/** Reads {@code tenants}: each tenant's own keys, its fdb, Geneve options and ports, and uniqueness across tenants. */
final class TenantParser {

    /** What the SA checks need of a tenant, known even when the tenant itself has errors. */
    record Facts(TenantConfig.Security security, List<String> peers) {
    }

    private final Problems problems;
    private final Set<String> peerNames;
    private final boolean clustered;
    private final Map<String, TenantConfig> tenants = new LinkedHashMap<>();
    private final Map<String, Facts> facts = new LinkedHashMap<>();
    private final Map<Long, String> vnis = new HashMap<>();
    private final Map<Long, String> vlans = new HashMap<>();
    private final Map<Object, String> portOwners = new HashMap<>();

    TenantParser(Problems problems, Set<String> peerNames) {
        this(problems, peerNames, false);
    }

    /** {@code clustered}: peers also come from etcd, so a tenant may list none of its own. */
    TenantParser(Problems problems, Set<String> peerNames, boolean clustered) {
        this.problems = problems;
        this.peerNames = peerNames;
        this.clustered = clustered;
    }

    Map<String, TenantConfig> tenants() {
        return tenants;
    }

    Map<String, Facts> facts() {
        return facts;
    }

    void parse(YamlMap m) {
        if (m == null) {
            return;
        }
        for (String name : m.keys()) {
            int before = problems.errorCount();
            try {
                Scalars.name(name);
            } catch (IllegalArgumentException e) {
                problems.error(m.child(name), m.keyNode(name), "tenant " + e.getMessage());
            }
            YamlMap t = m.map(name, true);
            if (t == null) {
                facts.put(name, new Facts(null, null));
                continue;
            }
            TenantConfig tenant = tenant(name, t, before);
            if (tenant != null) {
                tenants.put(name, tenant);
            }
        }
    }

    private TenantConfig tenant(String name, YamlMap t, int errorsBefore) {
        t.allow("vni", "encapsulation", "vlan", "security", "peers", "fdb", "geneve-options", "ports", "mss-clamp");
        Long vni = t.integer("vni", 1, TenantConfig.MAX_VNI, null, true);
        unique(t, "vni", vni, vnis, name);
        TenantConfig.Encapsulation encapsulation = t.choice("encapsulation", TenantConfig.Encapsulation.values(),
                TenantConfig.Encapsulation.VXLAN, false);
        Long vlan = t.integer("vlan", 1, 4094, null, false);
        unique(t, "vlan", vlan, vlans, name);
        TenantConfig.Security security = t.choice("security", TenantConfig.Security.values(),
                TenantConfig.Security.ESP, false);
        List<String> peers = t.has("peers") || !clustered ? t.names("peers", true) : List.of();
        if (peers != null) {
            if (peers.isEmpty() && !clustered) {
                problems.error(t.child("peers"), "a tenant needs at least one peer");
            }
            for (int i = 0; i < peers.size(); i++) {
                knownPeer(t.child("peers") + "[" + i + "]", peers.get(i));
            }
        }
        facts.put(name, new Facts(security, peers));
        if (security == TenantConfig.Security.NONE) {
            problems.warning(t.child("security"),
                    "cleartext: tenant traffic crosses the underlay unencrypted");
        }
        List<FdbEntryConfig> fdb = fdb(t, peers);
        List<GeneveOption> options = geneveOptions(t, encapsulation);
        List<PortConfig> ports = ports(t);
        MssClampConfig mssClamp = t.has("mss-clamp") ? t.parsed("mss-clamp", false, MssClampConfig::parse)
                : MssClampConfig.OFF;
        if (vni == null || encapsulation == null || (t.has("vlan") && vlan == null) || security == null
                || peers == null || fdb == null || options == null || ports == null || mssClamp == null
                || problems.errorCount() != errorsBefore) {
            return null;
        }
        try {
            return new TenantConfig(name, vni.intValue(), encapsulation,
                    vlan == null ? OptionalInt.empty() : OptionalInt.of(vlan.intValue()), security, peers, fdb,
                    options, ports, mssClamp);
        } catch (IllegalArgumentException e) {
            problems.error(t.path(), e.getMessage());
            return null;
        }
    }

    private void unique(YamlMap t, String key, Long value, Map<Long, String> seen, String tenant) {
        if (value != null) {
            String other = seen.putIfAbsent(value, tenant);
            if (other != null) {
                problems.error(t.child(key), key + " " + value + " is also used by tenant " + other);
            }
        }
    }

    private boolean knownPeer(String path, String peer) {
        if (!peerNames.contains(peer)) {
            problems.error(path, "peer '" + peer + "' is not defined in peers" + DidYouMean.suggest(peer, peerNames));
            return false;
        }
        return true;
    }

    private List<FdbEntryConfig> fdb(YamlMap t, List<String> tenantPeers) {
        List<Node> items = t.list("fdb", false);
        if (items == null) {
            return null;
        }
        List<FdbEntryConfig> out = new ArrayList<>();
        Map<MacAddress, Integer> seen = new HashMap<>();
        boolean ok = true;
        for (int i = 0; i < items.size(); i++) {
            YamlMap e = YamlMap.of(items.get(i), t.child("fdb") + "[" + i + "]", problems);
            if (e == null) {
                ok = false;
                continue;
            }
            e.allow("mac", "peer");
            MacAddress mac = e.parsed("mac", true, text -> {
                MacAddress a = Scalars.mac(text);
                if (a.isMulticast()) {
                    throw new IllegalArgumentException(a + " is a multicast address; fdb entries are for "
                            + "unicast addresses (broadcast and multicast go to every peer)");
                }
                return a;
            });
            String peer = e.text("peer", true);
            if (mac != null && seen.putIfAbsent(mac, i) != null) {
                problems.error(e.child("mac"), mac + " is also in fdb[" + seen.get(mac) + "]");
                mac = null;
            }
            if (peer != null) {
                if (!knownPeer(e.child("peer"), peer)) {
                    peer = null;
                } else if (tenantPeers != null && !tenantPeers.contains(peer)) {
                    problems.error(e.child("peer"), "peer " + peer + " is not one of this tenant's peers "
                            + tenantPeers);
                    peer = null;
                }
            }
            if (mac == null || peer == null) {
                ok = false;
            } else {
                out.add(new FdbEntryConfig(mac, peer));
            }
        }
        return ok ? out : null;
    }

    private List<GeneveOption> geneveOptions(YamlMap t, TenantConfig.Encapsulation encapsulation) {
        List<Node> items = t.list("geneve-options", false);
        if (items == null) {
            return null;
        }
        if (!items.isEmpty() && encapsulation == TenantConfig.Encapsulation.VXLAN) {
            problems.error(t.child("geneve-options"), "geneve-options need encapsulation: geneve");
            return null;
        }
        List<GeneveOption> out = new ArrayList<>();
        boolean ok = true;
        int total = 0;
        for (int i = 0; i < items.size(); i++) {
            YamlMap o = YamlMap.of(items.get(i), t.child("geneve-options") + "[" + i + "]", problems);
            if (o == null) {
                ok = false;
                continue;
            }
            o.allow("class", "type", "data");
            Long optionClass = o.integer("class", 0, 0xFFFF, null, true);
            Long type = o.integer("type", 0, 0xFF, null, true);
            byte[] data = o.parsed("data", false, text -> {
                byte[] b = Scalars.hexBytes(text);
                if (b.length % 4 != 0 || b.length > GeneveOption.MAX_DATA_LENGTH) {
                    throw new IllegalArgumentException("option data is " + b.length
                            + " bytes (expected a multiple of 4, at most 124: RFC 8926 section 3.5)");
                }
                return b;
            });
            if (!o.has("data")) {
                data = new byte[0];
            }
            if (type != null && (type & 0x80) != 0) {
                problems.warning(o.child("type"), String.format("type 0x%02x has the critical bit set "
                        + "(RFC 8926 section 3.5.1): a receiver that does not know the option must drop the packet",
                        type));
            }
            if (optionClass == null || type == null || data == null) {
                ok = false;
                continue;
            }
            total += 4 + data.length;
            out.add(new GeneveOption(optionClass.intValue(), type.intValue(), data));
        }
        if (total > GeneveOptions.MAX_LENGTH) {
            problems.error(t.child("geneve-options"), "options take " + total
                    + " bytes (expected at most 252: RFC 8926 section 3.4)");
            return null;
        }
        return ok ? out : null;
    }

    private List<PortConfig> ports(YamlMap t) {
        List<Node> items = t.list("ports", false);
        if (items == null) {
            return null;
        }
        List<PortConfig> out = new ArrayList<>();
        boolean ok = true;
        for (int i = 0; i < items.size(); i++) {
            String path = t.child("ports") + "[" + i + "]";
            YamlMap p = YamlMap.of(items.get(i), path, problems);
            PortConfig port = p == null ? null : port(p);
            if (port == null) {
                ok = false;
            } else {
                out.add(port);
            }
        }
        return ok ? out : null;
    }

    private PortConfig port(YamlMap p) {
        String type = p.text("type", true);
        if (type == null) {
            return null;
        }
        switch (type) {
            case "tap" -> {
                p.allow("type", "name", "queues");
                String name = p.parsed("name", true, Scalars::interfaceName);
                Long queues = p.integer("queues", 1, 256, 1L, false);
                return name == null || queues == null || !owned(p, "name", "tap " + name)
                        ? null : new PortConfig.TapPort(name, queues.intValue());
            }
            case "pcap" -> {
                p.allow("type", "interface");
                String name = p.parsed("interface", true, Scalars::interfaceName);
                return name == null || !owned(p, "interface", "pcap " + name) ? null : new PortConfig.PcapPort(name);
            }
            case "udp" -> {
                p.allow("type", "listen", "remote");
                InetSocketAddress listen = p.parsed("listen", true, Scalars::hostPort);
                InetSocketAddress remote = p.parsed("remote", true, Scalars::hostPort);
                return listen == null || remote == null || !owned(p, "listen", listen)
                        ? null : new PortConfig.UdpPort(listen, remote);
            }
            default -> {
                problems.error(p.child("type"), "port type '" + type + "' is not one of tap, pcap, udp"
                        + DidYouMean.suggest(type, List.of("tap", "pcap", "udp")));
                return null;
            }
        }
    }

    /** A device or socket can back one port only. */
    private boolean owned(YamlMap p, String key, Object resource) {
        String other = portOwners.putIfAbsent(resource, p.child(key));
        if (other != null) {
            problems.error(p.child(key), resource + " is also used by " + other);
            return false;
        }
        return true;
    }
}
