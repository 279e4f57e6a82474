package dev.overlay.datapath;

import dev.overlay.config.GatewayConfig;
import dev.overlay.config.OverlayConfig;
import dev.overlay.config.PeerConfig;
import dev.overlay.config.SaConfig;
import dev.overlay.config.TenantConfig;
import dev.overlay.config.TenantMtu;
import dev.overlay.vtep.MacAddress;
import io.netty.util.collection.IntObjectHashMap;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The runtime view of one config: tenants by name, by 802.1Q tag and by VNI (per encapsulation,
 * since a VXLAN and a Geneve tenant may not share a VNI but a packet's encapsulation decides which
 * table is asked), peers by name, and this gateway's own addresses. Immutable apart from the
 * tenants' FDBs.
 */
public final class Topology {
    private final OverlayConfig config;
    private final byte[] gatewayAddress;
    private final long gatewayMac;
    private final Map<String, Peer> peers;
    private final Map<String, Tenant> tenants;
    private final Tenant[] byVlan = new Tenant[4096];
    private final IntObjectHashMap<Tenant> vxlanByVni = new IntObjectHashMap<>();
    private final IntObjectHashMap<Tenant> geneveByVni = new IntObjectHashMap<>();
    private final boolean keysOnly;

    private Topology(OverlayConfig config, LongSupplier nanoClock, Topology previous, boolean keysOnly) {
        this.config = config;
        this.keysOnly = keysOnly;
        GatewayConfig gw = config.gateway();
        this.gatewayAddress = gw.address().getAddress();
        this.gatewayMac = gw.mac().map(MacAddress::value).orElseGet(() -> Peer.derivedMac(gatewayAddress));
        Map<String, Peer> peerMap = new LinkedHashMap<>();
        for (PeerConfig p : config.peers().values()) {
            peerMap.put(p.name(), Peer.of(p));
        }
        this.peers = Collections.unmodifiableMap(peerMap);
        Map<String, Tenant> tenantMap = new LinkedHashMap<>();
        for (TenantConfig t : config.tenants().values()) {
            int port = t.encapsulation() == TenantConfig.Encapsulation.GENEVE ? gw.genevePort() : gw.vxlanPort();
            int mtu = TenantMtu.worstCase(gw, t, config.sas(t.name(), SaConfig.Direction.OUT)).mtu();
            // A reload keeps what a tenant learned while it stays the same segment; a new flood
            // list or new static entries are applied to the FDB it keeps (cluster peers come and go).
            Tenant before = previous == null ? null : previous.tenant(t.name());
            Tenant tenant = Tenant.of(t, peerMap, port, mtu, nanoClock,
                    before != null && Tenant.sameSegment(before.config(), t) ? before : null,
                    gw.cluster().isPresent());
            tenantMap.put(t.name(), tenant);
            t.vlan().ifPresent(v -> byVlan[v] = tenant);
            (tenant.geneve() ? geneveByVni : vxlanByVni).put(t.vni(), tenant);
        }
        this.tenants = Collections.unmodifiableMap(tenantMap);
    }

    public static Topology of(OverlayConfig config) {
        return new Topology(config, System::nanoTime, null, false);
    }

    public static Topology of(OverlayConfig config, LongSupplier nanoClock) {
        return new Topology(config, nanoClock, null, false);
    }

    /**
     * The view of the offline readers given keys and no config ({@code pcap decrypt --sa-file}):
     * no tenant, peer or SA of its own, the default ports, and every VNI taken with no tenant.
     */
    public static Topology keysOnly(Path source) {
        return new Topology(OverlayConfig.keysOnly(source), System::nanoTime, null, true);
    }

    /**
     * The view of a reloaded config: tenants that stay the same segment ({@link Tenant#sameSegment})
     * keep {@code previous}'s FDB (learned and remote entries and their ages), with the new flood
     * list and static entries applied; everything else starts fresh.
     */
    public static Topology reloaded(OverlayConfig config, LongSupplier nanoClock, Topology previous) {
        return new Topology(config, nanoClock, previous, false);
    }

    /** True without a config ({@link #keysOnly(Path)}): there are no tenants to find by VNI. */
    public boolean keysOnly() {
        return keysOnly;
    }

    public OverlayConfig config() {
        return config;
    }

    public GatewayConfig gateway() {
        return config.gateway();
    }

    /** This gateway's underlay address, 4 or 16 bytes; shared, never modified. */
    byte[] gatewayAddress() {
        return gatewayAddress;
    }

    /** The outer source MAC: configured, else derived from the address as for peers. */
    public long gatewayMac() {
        return gatewayMac;
    }

    public boolean ipv6() {
        return gatewayAddress.length == 16;
    }

    public Map<String, Peer> peers() {
        return peers;
    }

    public Map<String, Tenant> tenants() {
        return tenants;
    }

    public Tenant tenant(String name) {
        return tenants.get(name);
    }

    /** The tenant of an 802.1Q VID, or null. */
    public Tenant tenantByVlan(int vid) {
        return vid >= 0 && vid < byVlan.length ? byVlan[vid] : null;
    }

    /** The tenant of a VNI under one encapsulation, or null. */
    public Tenant tenantByVni(boolean geneve, int vni) {
        return (geneve ? geneveByVni : vxlanByVni).get(vni);
    }
}
