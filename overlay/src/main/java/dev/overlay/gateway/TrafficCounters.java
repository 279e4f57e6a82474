package dev.overlay.gateway;

import java.util.concurrent.atomic.LongAdder;

/**
 * Frames and bytes of one tenant each way: tx counted by the port readers (frames taken from the
 * tenant), rx by the workers (frames delivered to it). Kept by tenant name across reloads.
 */
final class TrafficCounters {
    final LongAdder txFrames = new LongAdder();
    final LongAdder txBytes = new LongAdder();
    final LongAdder rxFrames = new LongAdder();
    final LongAdder rxBytes = new LongAdder();
}
