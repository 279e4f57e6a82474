package dev.overlay.cluster;

import dev.overlay.datapath.Tenant;
import dev.overlay.datapath.Topology;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.LongSupplier;

/**
 * Writes this gateway's FDB announcements ({@code PREFIX/fdb/TENANT/NAME}, under its lease) when
 * what its ports have seen changes, at most one write in flight per tenant; a write that fails is
 * tried again at the next tick. Agent thread only.
 */
final class Announcer {
    private final Etcd etcd;
    private final ClusterKeys keys;
    private final String self;
    private final FdbSync fdb;
    private final Registration registration;
    private final ScheduledExecutorService executor;
    /** Per tenant key, the MACs etcd has from us, as confirmed. */
    private final Map<String, Map<String, Long>> announced = new HashMap<>();
    private final Set<String> writing = new HashSet<>();

    Announcer(Etcd etcd, ClusterKeys keys, String self, FdbSync fdb, Registration registration,
              ScheduledExecutorService executor) {
        this.etcd = etcd;
        this.keys = keys;
        this.self = self;
        this.fdb = fdb;
        this.registration = registration;
        this.executor = executor;
    }

    /** A new lease: what hung on the old one is gone, so everything is written again. */
    void forget() {
        announced.clear();
    }

    /** Our own announcements as "TENANT MAC" to sequence number, for FdbSync to skip MACs that are ours. */
    Map<String, Long> ours() {
        Map<String, Long> out = new HashMap<>();
        announced.forEach((tenant, macs) -> macs.forEach((mac, seq) -> out.put(tenant + " " + mac, seq)));
        return out;
    }

    /** Announces what each tenant's ports have seen, where it changed; withdraws tenants that went. */
    void tick(Topology topology, LongSupplier nanoClock) {
        if (topology == null || !registration.registered()) {
            return;
        }
        long now = nanoClock.getAsLong();
        Set<String> current = new HashSet<>();
        for (Tenant tenant : topology.tenants().values()) {
            String key = Records.TenantRecord.key(tenant.config());
            current.add(key);
            Map<String, Long> before = announced.getOrDefault(key, Map.of());
            Map<String, Long> want = fdb.local(key, tenant, before, now);
            if (!want.equals(before) && !writing.contains(key)) {
                write(key, want);
            }
        }
        for (String key : new ArrayList<>(announced.keySet())) {
            if (!current.contains(key) && !writing.contains(key)) {
                write(key, Map.of());
            }
        }
    }

    private void write(String tenant, Map<String, Long> macs) {
        writing.add(tenant);
        String key = keys.fdb(tenant, self);
        long lease = registration.lease();
        CompletableFuture<Long> f = macs.isEmpty() ? etcd.delete(key) : etcd.put(key, Records.write(macs), lease);
        f.whenCompleteAsync((rev, error) -> {
            writing.remove(tenant);
            if (error != null) {
                registration.failed(error);
                return;
            }
            registration.succeeded();
            if (lease != registration.lease()) {
                return; // written under a lease that is gone: the next tick writes it again
            }
            if (macs.isEmpty()) {
                announced.remove(tenant);
            } else {
                announced.put(tenant, macs);
            }
        }, executor);
    }
}
