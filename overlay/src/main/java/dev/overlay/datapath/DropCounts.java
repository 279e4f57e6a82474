package dev.overlay.datapath;

import dev.overlay.esp.EspDrop;
import dev.overlay.vtep.VtepDrop;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Drops by reason, across the datapath's, the wire parsers' and ESP's reasons. Single writer
 * (the thread that runs the stages); array slots so counting allocates nothing.
 */
public final class DropCounts {
    private final long[] datapath = new long[DatapathDrop.values().length];
    private final long[] vtep = new long[VtepDrop.values().length];
    private final long[] esp = new long[EspDrop.values().length];

    public void add(DatapathDrop reason) {
        datapath[reason.ordinal()]++;
    }

    public void add(VtepDrop reason) {
        vtep[reason.ordinal()]++;
    }

    public void add(EspDrop reason) {
        esp[reason.ordinal()]++;
    }

    public long get(DatapathDrop reason) {
        return datapath[reason.ordinal()];
    }

    public long get(VtepDrop reason) {
        return vtep[reason.ordinal()];
    }

    public long get(EspDrop reason) {
        return esp[reason.ordinal()];
    }

    public long total() {
        long sum = 0;
        for (long[] counts : new long[][] {datapath, vtep, esp}) {
            for (long c : counts) {
                sum += c;
            }
        }
        return sum;
    }

    /** Non-zero counts by label, in a fixed order: datapath, then wire, then ESP reasons. */
    public Map<String, Long> byLabel() {
        Map<String, Long> out = new LinkedHashMap<>();
        for (DatapathDrop r : DatapathDrop.values()) {
            put(out, r.label(), datapath[r.ordinal()]);
        }
        for (VtepDrop r : VtepDrop.values()) {
            put(out, r.label(), vtep[r.ordinal()]);
        }
        for (EspDrop r : EspDrop.values()) {
            put(out, r.label(), esp[r.ordinal()]);
        }
        return out;
    }

    /** Adds every count of {@code other} to this. */
    public void addAll(DropCounts other) {
        for (int i = 0; i < datapath.length; i++) {
            datapath[i] += other.datapath[i];
        }
        for (int i = 0; i < vtep.length; i++) {
            vtep[i] += other.vtep[i];
        }
        for (int i = 0; i < esp.length; i++) {
            esp[i] += other.esp[i];
        }
    }

    private static void put(Map<String, Long> out, String label, long count) {
        if (count != 0) {
            out.merge(label, count, Long::sum);
        }
    }

    /** {@code reason=count, ...} as in the summary line of every pcap command. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        byLabel().forEach((label, count) -> {
            if (!sb.isEmpty()) {
                sb.append(", ");
            }
            sb.append(label).append('=').append(count);
        });
        return sb.toString();
    }
}
