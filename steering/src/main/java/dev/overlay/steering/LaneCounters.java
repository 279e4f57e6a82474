package dev.overlay.steering;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.EnumMap;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The counters of one hand-off queue on one worker.
 *
 * <p>{@code packets}, {@code bytes} and {@code highWater} have a single writer, the worker: plain
 * longs written with opaque stores (a plain {@code mov} on x86, no fence) and read racily by
 * metrics with opaque loads, which see every value eventually and never a torn one. Drops are
 * written by any producer (congestion, shutdown), so they are atomic; they are the slow path.
 */
final class LaneCounters {
    private static final VarHandle PACKETS;
    private static final VarHandle BYTES;
    private static final VarHandle HIGH_WATER;
    private static final SteeringDrop[] REASONS = SteeringDrop.values();

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            PACKETS = lookup.findVarHandle(LaneCounters.class, "packets", long.class);
            BYTES = lookup.findVarHandle(LaneCounters.class, "bytes", long.class);
            HIGH_WATER = lookup.findVarHandle(LaneCounters.class, "highWater", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private long packets;
    private long bytes;
    private long highWater;
    private final AtomicLongArray drops = new AtomicLongArray(REASONS.length);

    /** Worker thread only: one item of {@code count} packets and {@code size} bytes. */
    void handled(int size, int count) {
        PACKETS.setOpaque(this, packets + count);
        BYTES.setOpaque(this, bytes + size);
    }

    /** Worker thread only: the queue depth seen at the start of a batch. */
    void depth(long depth) {
        if (depth > highWater) {
            HIGH_WATER.setOpaque(this, depth);
        }
    }

    /** Any thread: an item of {@code count} packets. */
    void dropped(SteeringDrop reason, int count) {
        drops.getAndAdd(reason.ordinal(), count);
    }

    long packets() {
        return (long) PACKETS.getOpaque(this);
    }

    long bytes() {
        return (long) BYTES.getOpaque(this);
    }

    long highWater() {
        return (long) HIGH_WATER.getOpaque(this);
    }

    long drops(SteeringDrop reason) {
        return drops.get(reason.ordinal());
    }

    /** Adds this lane's counts to {@code drops}. */
    void addDropsTo(EnumMap<SteeringDrop, Long> into) {
        for (SteeringDrop r : REASONS) {
            into.merge(r, drops(r), Long::sum);
        }
    }
}
