package dev.overlay.gateway;

import dev.overlay.steering.WorkerPool;
import java.time.Duration;

/** How long the gateway's idle workers spin before they park. */
public final class WorkerSpin {
    private WorkerSpin() {}

    /** Overrides the idle workers' spin window, in nanoseconds (0 to 10 ms). */
    public static final String PROPERTY = "overlay.worker.spin-nanos";

    /**
     * How long an idle worker polls its queues and socket before it parks: the property if
     * given, else {@link WorkerPool#DEFAULT_SPIN_BEFORE_PARK} for {@code pinned} workers
     * ({@code gateway.pin-workers}) and zero for unpinned ones. Spinning pays only on a core the worker has to itself (VPP's and DPDK's
     * workers poll dedicated cores; the kernel busy-polls only when asked, net.core.busy_poll);
     * where the cores are shared, each idle window is CPU that iperf3, the tenants and the
     * other threads need. Measured on the 2-vCPU bench machine (bin/bench-e2e, TAP ports, TCP 1
     * stream, six alternated pairs): 2,714 Mbit/s on average parking at once against 2,560
     * spinning 50 µs, and a shorter round trip (0.67-0.74 ms against 0.92-1.49); no figure of
     * tcp4, UDP 64 and 1380 B, TAP or pcap, was lower (BENCHMARKS.md).
     */
    public static Duration of(boolean pinned, String property) {
        if (property == null) {
            return pinned ? WorkerPool.DEFAULT_SPIN_BEFORE_PARK : Duration.ZERO;
        }
        long nanos;
        try {
            nanos = Long.parseLong(property.strip());
        } catch (NumberFormatException e) {
            nanos = -1;
        }
        if (nanos < 0 || nanos > 10_000_000) {
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + property
                    + ": expected nanoseconds from 0 to 10000000 (10 ms)");
        }
        return Duration.ofNanos(nanos);
    }

    /** Checks the property before anything starts, so a bad value is the user's one sentence. */
    public static void checkProperty() {
        String p = System.getProperty(PROPERTY);
        if (p != null) {
            of(false, p);
        }
    }
}
