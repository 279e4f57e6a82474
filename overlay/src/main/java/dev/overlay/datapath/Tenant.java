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
 */
public record Tenant(TenantConfig config, List<Peer> peers, Fdb fdb, GeneveOptions geneveOptions,
                     int udpPort, int mtu) implements Geneve.OptionFilter {

    /** {@code keep}: the FDB of the same tenant in the config being replaced (a reload), or null for a new one. */
    static Tenant of(TenantConfig config, Map<String, Peer> peersByName, int udpPort, int mtu,
                     LongSupplier nanoClock, Fdb keep) {
        List<Peer> peers = new ArrayList<>();
        for (String name : config.peers()) {
            peers.add(peersByName.get(name));
        }
        Map<MacAddress, String> statics = new LinkedHashMap<>();
        config.fdb().forEach(e -> statics.put(e.mac(), e.peer()));
        Fdb fdb = keep != null ? keep
                : new Fdb(config.peers(), statics, Fdb.DEFAULT_AGEING, nanoClock, Fdb.DEFAULT_MAX_LEARNED);
        return new Tenant(config, List.copyOf(peers), fdb, GeneveOptions.of(config.geneveOptions()), udpPort, mtu);
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
