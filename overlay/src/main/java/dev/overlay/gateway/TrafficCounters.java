package dev.overlay.gateway;

import java.util.concurrent.atomic.LongAdder;

/**
 * Frames and bytes of one tenant each way: tx counted by the port readers (frames taken from the
 * tenant), rx by the workers (frames delivered to it). Kept by tenant name across reloads. Of the
 * tx frames, those flooded to every peer (no FDB entry for their destination), and among them
 * the unknown unicast ones, which a complete FDB (static, learned, or from the cluster) avoids.
 */
final class TrafficCounters {
    final LongAdder txFrames = new LongAdder();
    final LongAdder txBytes = new LongAdder();
    final LongAdder rxFrames = new LongAdder();
    final LongAdder rxBytes = new LongAdder();
    final LongAdder txFlooded = new LongAdder();
    final LongAdder txUnknownUnicast = new LongAdder();
}
