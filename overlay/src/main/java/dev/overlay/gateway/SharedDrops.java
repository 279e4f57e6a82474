package dev.overlay.gateway;

import dev.overlay.datapath.DatapathDrop;
import dev.overlay.datapath.DropCounts;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Drops counted by threads that are not workers: the underlay's event loop and the ports'
 * readers, several of which may count at once. Atomic because drops are the slow path; the
 * workers' own counts stay in single-writer {@link DropCounts}.
 */
final class SharedDrops {
    private final AtomicLongArray datapath = new AtomicLongArray(DatapathDrop.values().length);
    private final AtomicLongArray gateway = new AtomicLongArray(GatewayDrop.values().length);

    void add(DatapathDrop reason) {
        datapath.getAndIncrement(reason.ordinal());
    }

    void add(GatewayDrop reason) {
        gateway.getAndIncrement(reason.ordinal());
    }

    long get(DatapathDrop reason) {
        return datapath.get(reason.ordinal());
    }

    long get(GatewayDrop reason) {
        return gateway.get(reason.ordinal());
    }

    /** Adds the non-zero counts to {@code into} by label. */
    void addTo(Map<String, Long> into) {
        for (DatapathDrop r : DatapathDrop.values()) {
            long c = datapath.get(r.ordinal());
            if (c != 0) {
                into.merge(r.label(), c, Long::sum);
            }
        }
        for (GatewayDrop r : GatewayDrop.values()) {
            long c = gateway.get(r.ordinal());
            if (c != 0) {
                into.merge(r.label(), c, Long::sum);
            }
        }
    }
}
