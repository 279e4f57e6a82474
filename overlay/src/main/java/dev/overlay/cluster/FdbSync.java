package dev.overlay.cluster;

import dev.overlay.datapath.Tenant;
import dev.overlay.datapath.Topology;
import dev.overlay.vtep.Fdb;
import dev.overlay.vtep.MacAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * FDB through etcd, in the spirit of EVPN MAC/IP routes (RFC 7432 section 7.2): what each
 * gateway learned on its own ports it announces per tenant; the others install those MACs as
 * remote (static) entries behind it, so a frame to them goes to one peer instead of every peer.
 *
 * <p>A MAC announced by two gateways (a VM that moved) goes to the one with the higher mobility
 * sequence number (RFC 7432 section 15), the lower gateway name on a tie. A gateway that sees
 * traffic from a MAC that another gateway holds with a number at least its own announces it with
 * that number plus one, at most once per {@link #MOVE_HOLD} per MAC (a MAC seen in two places at
 * once would otherwise make both count up without end). Runs on the agent's thread only.
 */
final class FdbSync {
    /** Local entries seen more recently than this are "active": traffic from the MAC is flowing here now. */
    static final Duration ACTIVE = Duration.ofSeconds(3);
    static final Duration MOVE_HOLD = Duration.ofSeconds(10);

    private final String self;
    /** Tenant key to gateway to MAC to sequence: everything announced in etcd, ours included. */
    private final Map<String, Map<String, Map<String, Long>>> announced = new HashMap<>();
    /** When we last claimed a MAC with a higher number, per tenant key and MAC (nanoTime). */
    private final Map<String, Long> lastMove = new HashMap<>();

    FdbSync(String self) {
        this.self = self;
    }

    /** An announcement seen in etcd (null: withdrawn). */
    void announced(String tenant, String gateway, Map<String, Long> macs) {
        if (macs == null || macs.isEmpty()) {
            Map<String, Map<String, Long>> byGateway = announced.get(tenant);
            if (byGateway != null) {
                byGateway.remove(gateway);
                if (byGateway.isEmpty()) {
                    announced.remove(tenant);
                }
            }
        } else {
            announced.computeIfAbsent(tenant, k -> new HashMap<>()).put(gateway, macs);
        }
    }

    void clear() {
        announced.clear();
    }

    /** Announcements of tenants and gateways now, for a resync to diff against. */
    Map<String, Map<String, Map<String, Long>>> announced() {
        return announced;
    }

    /**
     * What this gateway should announce for a tenant now: the MACs its ports saw within the
     * ageing time, each with the number it announced before, or a number above another gateway's
     * when the MAC is active here.
     */
    Map<String, Long> local(String tenantKey, Tenant tenant, Map<String, Long> before, long nowNanos) {
        Map<String, Long> out = new TreeMap<>();
        Fdb macs = tenant.localMacs();
        if (macs == null) {
            return out;
        }
        for (Fdb.Entry e : macs.snapshot()) {
            if (e.age().compareTo(Fdb.DEFAULT_AGEING) > 0) {
                continue;
            }
            String mac = e.mac().toString();
            long own = before.getOrDefault(mac, -1L);
            long theirs = highestElsewhere(tenantKey, mac);
            long seq = own < 0 ? Math.max(0, theirs + 1) : own;
            if (own >= 0 && theirs >= own && e.age().compareTo(ACTIVE) < 0) {
                String k = tenantKey + " " + mac;
                Long last = lastMove.get(k);
                if (last == null || nowNanos - last > MOVE_HOLD.toNanos()) {
                    seq = theirs + 1;
                    lastMove.put(k, nowNanos);
                }
            }
            out.put(mac, seq);
        }
        lastMove.keySet().removeIf(k -> k.startsWith(tenantKey + " ") && !out.containsKey(k.substring(k.indexOf(' ') + 1)));
        return out;
    }

    private long highestElsewhere(String tenantKey, String mac) {
        long best = -1;
        Map<String, Map<String, Long>> byGateway = announced.getOrDefault(tenantKey, Map.of());
        for (Map.Entry<String, Map<String, Long>> g : byGateway.entrySet()) {
            if (!g.getKey().equals(self)) {
                best = Math.max(best, g.getValue().getOrDefault(mac, -1L));
            }
        }
        return best;
    }

    /**
     * Makes each tenant's remote entries what the announcements say, for peers in its flood list
     * (a peer not yet ready would only be flooded to anyway). Returns how many entries changed.
     */
    int install(Topology topology, Map<String, Long> ownAnnounced) {
        int changed = 0;
        for (Tenant t : topology.tenants().values()) {
            String key = Records.TenantRecord.key(t.config());
            Set<String> peers = Set.copyOf(t.fdb().floodList());
            Map<Long, String> want = new HashMap<>();
            Map<Long, Long> wantSeq = new HashMap<>();
            Map<String, Map<String, Long>> byGateway = announced.getOrDefault(key, Map.of());
            for (Map.Entry<String, Map<String, Long>> g : new TreeMap<>(byGateway).entrySet()) {
                String gateway = g.getKey();
                if (gateway.equals(self) || !peers.contains(gateway)) {
                    continue;
                }
                for (Map.Entry<String, Long> m : g.getValue().entrySet()) {
                    long mac = MacAddress.of(m.getKey()).value();
                    Long mine = ownAnnounced.get(key + " " + m.getKey());
                    if (mine != null && mine >= m.getValue()) {
                        continue; // ours: it is behind our own ports
                    }
                    Long best = wantSeq.get(mac);
                    // TreeMap order: on equal numbers the lower name came first and stays.
                    if (best == null || m.getValue() > best) {
                        want.put(mac, gateway);
                        wantSeq.put(mac, m.getValue());
                    }
                }
            }
            Map<Long, String> have = t.fdb().remote();
            for (Map.Entry<Long, String> h : have.entrySet()) {
                if (!h.getValue().equals(want.get(h.getKey())) && !want.containsKey(h.getKey())) {
                    changed += t.fdb().removeRemote(h.getKey(), h.getValue()) ? 1 : 0;
                }
            }
            for (Map.Entry<Long, String> w : want.entrySet()) {
                if (!w.getValue().equals(have.get(w.getKey()))) {
                    changed += t.fdb().putRemote(w.getKey(), w.getValue()) ? 1 : 0;
                }
            }
        }
        return changed;
    }
}
