package dev.overlay.gateway;

import dev.overlay.config.OverlayConfig;
import dev.overlay.datapath.OverlayDecap;
import dev.overlay.datapath.OverlayEncap;
import dev.overlay.datapath.Peer;
import dev.overlay.datapath.SaTable;
import dev.overlay.datapath.Tenant;
import dev.overlay.datapath.Topology;
import dev.overlay.datapath.TxPath;
import io.netty.buffer.ByteBufAllocator;
import dev.overlay.gateway.port.TenantPort;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the datapath routes by, for one config: its topology and SAs, the stages built on them
 * (one decapsulator per worker, since each keeps per-packet scratch state), peers by address and
 * the tenants' ports. Immutable once built; a reload builds a new one and swaps it in with one
 * volatile write, and each packet reads the current one once.
 */
final class View {
    /** A peer's socket addresses on the underlay. */
    record Route(InetSocketAddress esp, InetSocketAddress vxlan, InetSocketAddress geneve) {}

    private static final TenantPort[] NONE = new TenantPort[0];

    final OverlayConfig config;
    final Topology topology;
    final SaTable sas;
    final OverlayEncap encap;
    final TxPath txPath;
    final OverlayDecap[] decap;
    final OverlayDecap.Result[] results;
    private final Map<InetAddress, Peer> peersByAddress = new HashMap<>();
    private final Map<Peer, Route> routes = new IdentityHashMap<>();
    private final Map<TenantPort, Tenant> tenantOfPort = new IdentityHashMap<>();
    private final Map<Tenant, TenantPort[]> portsOfTenant = new IdentityHashMap<>();

    View(Topology topology, SaTable sas, int workers, Map<String, List<TenantPort>> ports, ByteBufAllocator alloc) {
        this.config = topology.config();
        this.topology = topology;
        this.sas = sas;
        this.encap = new OverlayEncap(topology, sas);
        this.txPath = new TxPath(topology, encap, alloc);
        this.decap = new OverlayDecap[workers];
        this.results = new OverlayDecap.Result[workers];
        for (int i = 0; i < workers; i++) {
            // Datagrams from a socket carry no outer UDP checksum for us to verify: the kernel did.
            decap[i] = new OverlayDecap(topology, sas, false);
            results[i] = new OverlayDecap.Result();
        }
        var gw = topology.gateway();
        for (Peer p : topology.peers().values()) {
            InetAddress address = address(p.address());
            peersByAddress.put(address, p);
            routes.put(p, new Route(new InetSocketAddress(address, gw.espPort()),
                    new InetSocketAddress(address, gw.vxlanPort()), new InetSocketAddress(address, gw.genevePort())));
        }
        for (Tenant t : topology.tenants().values()) {
            List<TenantPort> list = ports.getOrDefault(t.name(), List.of());
            portsOfTenant.put(t, list.toArray(new TenantPort[0]));
            list.forEach(p -> tenantOfPort.put(p, t));
        }
    }

    /** The configured peer at {@code address}, or null. */
    Peer peerAt(InetAddress address) {
        return peersByAddress.get(address);
    }

    Route route(Peer peer) {
        return routes.get(peer);
    }

    /** The tenant a port belongs to in this view, or null when a reload removed it. */
    Tenant tenantOf(TenantPort port) {
        return tenantOfPort.get(port);
    }

    TenantPort[] portsOf(Tenant tenant) {
        TenantPort[] p = portsOfTenant.get(tenant);
        return p == null ? NONE : p;
    }

    private static InetAddress address(byte[] raw) {
        try {
            return InetAddress.getByAddress(raw);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("peer address of " + raw.length + " bytes", e);
        }
    }
}
