package dev.overlay.cluster;

import dev.overlay.gateway.EventLog;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The acks this gateway gives ({@code PREFIX/acks/PEER/US}, under our lease): once a reload has
 * installed a peer's inbound SAs, the peer may send on them. Written again whenever what it
 * vouches for changes (the peer's key, id or the tenants we share), withdrawn when the peer goes;
 * a write that fails is tried again at the next tick. Agent thread only.
 */
final class Acker {
    private final Etcd etcd;
    private final ClusterKeys keys;
    private final String self;
    private final String ownKey;
    private final Registration registration;
    private final ScheduledExecutorService executor;
    private final EventLog log;
    /** Per peer, what our last confirmed ack to it vouched for; peers with an ack in flight. */
    private final Map<String, String> acked = new HashMap<>();
    private final Set<String> writing = new HashSet<>();

    Acker(Etcd etcd, ClusterKeys keys, String self, String ownKey, Registration registration,
          ScheduledExecutorService executor, EventLog log) {
        this.etcd = etcd;
        this.keys = keys;
        this.self = self;
        this.ownKey = ownKey;
        this.registration = registration;
        this.executor = executor;
        this.log = log;
    }

    /** A new lease: the acks under the old one are gone, so every peer is acked again. */
    void forget() {
        acked.clear();
    }

    /** Acks what {@code installed} says is in place now (call only after the reload that put it there). */
    void ack(Map<String, Planner.Installed> installed) {
        for (Map.Entry<String, Planner.Installed> e : installed.entrySet()) {
            String peer = e.getKey();
            Planner.Installed i = e.getValue();
            String material = i.material();
            if (material.equals(acked.get(peer)) || writing.contains(peer)) {
                continue;
            }
            writing.add(peer);
            String text = new Records.Ack(i.revision(), i.peerKey(), ownKey).text();
            long lease = registration.lease();
            etcd.put(keys.ack(peer, self), text, lease).whenCompleteAsync((rev, error) -> {
                writing.remove(peer);
                if (error != null) {
                    registration.failed(error);
                    return; // the next tick tries again
                }
                registration.succeeded();
                if (lease != registration.lease()) {
                    return; // put under a lease that is gone: the new registration acks again
                }
                acked.put(peer, material);
                log.fine("cluster-ack", "peer", peer, "tenants", String.join(",", i.tenants()));
            }, executor);
        }
        for (String peer : new ArrayList<>(acked.keySet())) {
            if (!installed.containsKey(peer) && !writing.contains(peer)) {
                acked.remove(peer);
                etcd.delete(keys.ack(peer, self)).exceptionally(x -> null);
            }
        }
    }
}
