package dev.overlay.gateway;

import dev.overlay.datapath.IcmpRateLimit;
import java.util.concurrent.atomic.LongAdder;

/**
 * One tenant's path-MTU work: the ICMP errors its senders were sent (and the ones the rate limit
 * held back), its IPv4 packets fragmented, its SYNs clamped. Kept by tenant name across reloads,
 * as {@link TrafficCounters}; written by port readers (tx) and workers (rx), read by metrics.
 * The oversized frames themselves are also counted as {@code too-big} drops.
 */
final class PathMtuCounters {
    /** The tenant's token bucket: 1,000 errors a second, bursts of 50. */
    final IcmpRateLimit icmpLimit = new IcmpRateLimit(System::nanoTime);
    final LongAdder fragmentationNeeded = new LongAdder();
    final LongAdder packetTooBig = new LongAdder();
    final LongAdder rateLimited = new LongAdder();
    final LongAdder fragmentedFrames = new LongAdder();
    final LongAdder fragments = new LongAdder();
    final LongAdder mssClampedTx = new LongAdder();
    final LongAdder mssClampedRx = new LongAdder();

    GatewayStats.PathMtuStats snapshot() {
        return new GatewayStats.PathMtuStats(fragmentationNeeded.sum(), packetTooBig.sum(), rateLimited.sum(),
                fragmentedFrames.sum(), fragments.sum(), mssClampedTx.sum(), mssClampedRx.sum());
    }
}
