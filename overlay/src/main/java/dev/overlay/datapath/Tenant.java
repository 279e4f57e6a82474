package dev.overlay.datapath;

import dev.overlay.config.TenantConfig;
import dev.overlay.config.TenantConfig.Encapsulation;
import dev.overlay.config.TenantConfig.Security;
import dev.overlay.vtep.Fdb;
import dev.overlay.vtep.Geneve;
import dev.overlay.vtep.GeneveOption;
import dev.overlay.vtep.GeneveOptions;
import dev.overlay.vtep.MacAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A tenant as the datapath uses it: its config, its peers resolved, its Geneve options encoded
 * once, its FDB and its effective MTU.
 *
 * @param peers the flood list, in config order (head-end replication, RFC 7348 section 4.2)
 * @param udpPort the destination port of its overlay packets (vxlan-port or geneve-port)
 * @param mtu the largest inner IP packet that fits the underlay once encapsulated
 * @param localMacs in cluster mode, the source MACs seen on this tenant's own ports (aged as
 *     learned entries, behind {@link #LOCAL}), which the cluster agent announces to the other
 *     gateways; null otherwise, so a gateway without a cluster learns nothing on its ports
 */
public record Tenant(TenantConfig config, List<Peer> peers, Fdb fdb, GeneveOptions geneveOptions,
                     int udpPort, int mtu, Fdb localMacs) implements Geneve.OptionFilter {

    /** The "peer" local MACs are learned behind: not a valid peer name, so never a peer's. */
    public static final String LOCAL = "<local>";

    /**
     * {@code keep}: the same tenant in the config being replaced (a reload), whose FDB and local
     * MACs carry on, reconfigured with this config's flood list and static entries; null for a
     * new one.
     */
    static Tenant of(TenantConfig config, Map<String, Peer> peersByName, int udpPort, int mtu,
                     LongSupplier nanoClock, Tenant keep, boolean learnLocal) {
        List<Peer> peers = new ArrayList<>();
        for (String name : config.peers()) {
            peers.add(peersByName.get(name));
        }
        Map<MacAddress, String> statics = new LinkedHashMap<>();
        config.fdb().forEach(e -> statics.put(e.mac(), e.peer()));
        Fdb fdb;
        if (keep != null) {
            fdb = keep.fdb;
            if (!keep.config.peers().equals(config.peers()) || !keep.config.fdb().equals(config.fdb())) {
                fdb.reconfigure(config.peers(), statics);
            }
        } else {
            fdb = new Fdb(config.peers(), statics, Fdb.DEFAULT_AGEING, nanoClock, Fdb.DEFAULT_MAX_LEARNED);
        }
        Fdb local = !learnLocal ? null : keep != null && keep.localMacs != null ? keep.localMacs
                : new Fdb(List.of(), Map.of(), Fdb.DEFAULT_AGEING, nanoClock, Fdb.DEFAULT_MAX_LEARNED);
        return new Tenant(config, List.copyOf(peers), fdb, GeneveOptions.of(config.geneveOptions()), udpPort, mtu,
                local);
    }

    /**
     * Whether a reload may carry {@code before}'s FDB over to {@code after}: the same segment
     * (name, VNI, encapsulation and everything else) whose flood list, static entries or
     * ports alone changed. A cluster's peers come and go this way without a tenant forgetting
     * what it learned.
     */
    static boolean sameSegment(TenantConfig before, TenantConfig after) {
        return before.name().equals(after.name()) && before.vni() == after.vni()
                && before.encapsulation() == after.encapsulation() && before.vlan().equals(after.vlan())
                && before.security() == after.security() && before.geneveOptions().equals(after.geneveOptions());
    }

    public String name() {
        return config.name();
    }

    public int vni() {
        return config.vni();
    }

    public boolean geneve() {
        return config.encapsulation() == Encapsulation.GENEVE;
    }

    public boolean esp() {
        return config.security() == Security.ESP;
    }

    /**
     * Whether this tenant knows (so may process) a Geneve option: the ones its config adds. A
     * critical option outside them is dropped (RFC 8926 section 3.5).
     */
    @Override
    public boolean knows(int optionClass, int type) {
        for (GeneveOption o : geneveOptions.options()) {
            if (o.optionClass() == optionClass && o.type() == type) {
                return true;
            }
        }
        return false;
    }

    /** Whether TCP SYNs of this tenant have their MSS lowered ({@code mss-clamp} not off). */
    public boolean clampsMss() {
        return config.mssClamp().on();
    }

    /** The IPv4 MSS SYNs are clamped to; 0 when off. */
    public int mss4() {
        return config.mssClamp().ipv4(mtu);
    }

    /** The IPv6 MSS SYNs are clamped to; 0 when off. */
    public int mss6() {
        return config.mssClamp().ipv6(mtu);
    }

    /** The peer a known unicast MAC was learned or configured behind, or null to flood. */
    public Peer peerFor(long dstMac) {
        if (MacAddress.isMulticast(dstMac)) {
            return null;
        }
        String name = fdb.lookup(dstMac);
        if (name == null) {
            return null;
        }
        for (Peer p : peers) {
            if (p.name().equals(name)) {
                return p;
            }
        }
        return null;
    }
}
