package dev.overlay.datapath;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A token bucket for the ICMP errors one tenant is sent (RFC 1812 section 4.3.2.8 and RFC 4443
 * section 2.4 (f): errors MUST be rate-limited), in the kernel's figures: {@link #RATE} a second
 * with bursts of {@link #BURST} ({@code net.ipv4.icmp_msgs_per_sec} and
 * {@code icmp_msgs_burst}). A host whose TCP sends 64 KB super-frames at a path it thinks
 * takes 1500 bytes needs one error per connection to learn the MTU; the bucket keeps a sender of
 * oversized datagrams from turning the gateway into a reflector.
 *
 * <p>Kept as the generic cell rate algorithm: one long, the theoretical time at which the
 * bucket is full again, advanced by compare-and-set; no lock, no allocation, any thread.
 */
public final class IcmpRateLimit {
    public static final int RATE = 1000;
    public static final int BURST = 50;

    private final long interval;
    private final long tolerance;
    private final LongSupplier nanoClock;
    /** When every token has come back; a past value means a full bucket. */
    private final AtomicLong full;

    public IcmpRateLimit(LongSupplier nanoClock) {
        this(RATE, BURST, nanoClock);
    }

    public IcmpRateLimit(int perSecond, int burst, LongSupplier nanoClock) {
        if (perSecond < 1) {
            throw new IllegalArgumentException("perSecond: " + perSecond + " (expected: >= 1)");
        }
        if (burst < 1) {
            throw new IllegalArgumentException("burst: " + burst + " (expected: >= 1)");
        }
        this.interval = 1_000_000_000L / perSecond;
        this.tolerance = interval * (burst - 1);
        this.nanoClock = nanoClock;
        this.full = new AtomicLong(nanoClock.getAsLong());
    }

    /** Takes a token if one is left: true means the error may be sent. */
    public boolean tryAcquire() {
        long now = nanoClock.getAsLong();
        while (true) {
            long at = full.get();
            long from = at - now > 0 ? at : now;
            if (from - now > tolerance) {
                return false;
            }
            if (full.compareAndSet(at, from + interval)) {
                return true;
            }
        }
    }
}
