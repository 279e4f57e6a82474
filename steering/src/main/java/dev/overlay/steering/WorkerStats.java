package dev.overlay.steering;

import java.util.EnumMap;
import java.util.Map;

/**
 * A snapshot of one worker's counters, for the gateway's metrics. Read racily while the pool
 * runs (each value is one that was true); exact once the pool is closed, when
 * {@code offered == packets + dropped()} holds for what the caller offered.
 *
 * @param worker the worker's index
 * @param packets items its stages handled and returned from normally
 * @param bytes the size of those items, as the hand-off's size function measured them
 * @param drops every drop reason with its count, zeros included
 * @param queueHighWater the deepest any of its queues was at the start of a batch
 * @param wakeUps how many times producers woke it from its park ({@link Worker#wakeUps}): divided
 *     into {@code packets}, how many items one wake-up bought
 */
public record WorkerStats(int worker, long packets, long bytes, Map<SteeringDrop, Long> drops, long queueHighWater,
                          long wakeUps) {
    public WorkerStats {
        if (worker < 0) {
            throw new IllegalArgumentException("worker: " + worker + " (expected: >= 0)");
        }
        EnumMap<SteeringDrop, Long> copy = new EnumMap<>(SteeringDrop.class);
        for (SteeringDrop r : SteeringDrop.values()) {
            copy.put(r, drops.getOrDefault(r, 0L));
        }
        drops = java.util.Collections.unmodifiableMap(copy);
    }

    /** The count for one reason. */
    public long drops(SteeringDrop reason) {
        return drops.get(reason);
    }

    /** All drops of this worker. */
    public long dropped() {
        long sum = 0;
        for (long v : drops.values()) {
            sum += v;
        }
        return sum;
    }

    static WorkerStats of(int worker, Iterable<LaneCounters> lanes, long wakeUps) {
        long packets = 0;
        long bytes = 0;
        long highWater = 0;
        EnumMap<SteeringDrop, Long> drops = new EnumMap<>(SteeringDrop.class);
        for (LaneCounters c : lanes) {
            packets += c.packets();
            bytes += c.bytes();
            highWater = Math.max(highWater, c.highWater());
            c.addDropsTo(drops);
        }
        return new WorkerStats(worker, packets, bytes, drops, highWater, wakeUps);
    }
}
