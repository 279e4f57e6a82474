package dev.overlay.esp;

import java.util.EnumMap;
import java.util.Map;

/**
 * Per-SA counters, written by the SA's owner worker only (CONVENTIONS: one owner per SA), so
 * plain longs suffice. Readers on other threads take a {@link #snapshot()}, which may lag by a
 * few packets: metrics tolerate that, and a 64-bit HotSpot does not tear aligned longs.
 */
public final class SaCounters {
    private long packets;
    private long bytes;
    private final long[] drops = new long[EspDrop.count()];

    void success(int payloadBytes) {
        packets++;
        bytes += payloadBytes;
    }

    void drop(EspDrop reason) {
        drops[reason.ordinal()]++;
    }

    /** Counts a drop decided by the caller (e.g. {@link EspDrop#TENANT_MISMATCH}, {@link EspDrop#UNKNOWN_SPI}). */
    public void count(EspDrop reason) {
        drop(reason);
    }

    /** Packets sealed or opened successfully. */
    public long packets() {
        return packets;
    }

    /** Payload bytes of those packets (before ESP, after decryption). */
    public long bytes() {
        return bytes;
    }

    public long drops(EspDrop reason) {
        return drops[reason.ordinal()];
    }

    public long totalDrops() {
        long sum = 0;
        for (long d : drops) {
            sum += d;
        }
        return sum;
    }

    public Snapshot snapshot() {
        Map<EspDrop, Long> m = new EnumMap<>(EspDrop.class);
        for (int i = 0; i < drops.length; i++) {
            if (drops[i] != 0) {
                m.put(EspDrop.at(i), drops[i]);
            }
        }
        return new Snapshot(packets, bytes, m);
    }

    /** A copy for metrics and {@code inspect}; {@code drops} holds only non-zero reasons. */
    public record Snapshot(long packets, long bytes, Map<EspDrop, Long> drops) {
        public Snapshot {
            drops = Map.copyOf(drops);
        }
    }

    @Override
    public String toString() {
        return "SaCounters" + snapshot();
    }
}
