package dev.overlay.esp;

import java.util.function.LongSupplier;

/**
 * Hard lifetime of one SA's runtime state (RFC 4301 4.4.2.1 "SA lifetime": a hard limit ends
 * the SA). Once past a limit it stays expired; the config's 0 means unlimited.
 */
final class Lifetime {
    private final long maxPackets;
    private final long maxBytes;
    private final long maxNanos;
    private final LongSupplier nanoClock;
    private final long created;
    private boolean expired;

    Lifetime(SecurityAssociation.Lifetime limits, LongSupplier nanoClock) {
        this.maxPackets = limits.packets();
        this.maxBytes = limits.bytes();
        this.maxNanos = limits.seconds() == 0 ? 0 : saturatedNanos(limits.seconds());
        this.nanoClock = nanoClock;
        this.created = nanoClock.getAsLong();
    }

    /** True when the SA may process no further packet, given what it has processed so far. */
    boolean expired(long packets, long bytes) {
        if (expired) {
            return true;
        }
        expired = (maxPackets != 0 && packets >= maxPackets)
                || (maxBytes != 0 && bytes >= maxBytes)
                || (maxNanos != 0 && nanoClock.getAsLong() - created >= maxNanos);
        return expired;
    }

    private static long saturatedNanos(long seconds) {
        return seconds > Long.MAX_VALUE / 1_000_000_000L ? Long.MAX_VALUE : seconds * 1_000_000_000L;
    }
}
