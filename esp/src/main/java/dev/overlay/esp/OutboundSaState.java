package dev.overlay.esp;

import dev.overlay.esp.transform.EspTransform;
import dev.overlay.esp.transform.IvSource;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * The runtime of an SA that seals: its transform, the last sequence number sent, lifetime and
 * counters. Confined to the SA's owner worker; {@link #close()} wipes the keys it holds.
 */
public final class OutboundSaState implements AutoCloseable {
    private final SecurityAssociation sa;
    private final int spi;
    private final boolean esn;
    /** The highest sequence number that may be sent: the SA stops there, never wraps (RFC 4303 3.3.3). */
    private final long lastSequence;
    final EspTransform transform;
    final Lifetime lifetime;
    private final SaCounters counters = new SaCounters();
    /** The sequence number of the last packet sealed (the config's initial-sequence at first). */
    long sequence;
    boolean closed;

    public OutboundSaState(SecurityAssociation sa) {
        this(sa, System::nanoTime, null);
    }

    public OutboundSaState(SecurityAssociation sa, LongSupplier nanoClock) {
        this(sa, nanoClock, null);
    }

    /** {@code ivSource}: tests substitute fixed IVs to reproduce published packets; {@code null} = the algorithm's default. */
    OutboundSaState(SecurityAssociation sa, LongSupplier nanoClock, IvSource ivSource) {
        this.sa = Objects.requireNonNull(sa, "sa");
        this.spi = sa.spi();
        this.esn = sa.esn();
        this.lastSequence = esn ? -1L : 0xFFFF_FFFFL;
        this.sequence = sa.initialSequence();
        this.lifetime = new Lifetime(sa.lifetime(), nanoClock);
        byte[] key = sa.key();
        byte[] integrityKey = sa.integrityKey();
        try {
            this.transform = EspTransform.create(sa.algorithm(), key, sa.icvLength(), sa.integrity(), integrityKey, ivSource);
        } finally {
            SaDatabase.wipe(key, integrityKey);
        }
    }

    public SecurityAssociation association() {
        return sa;
    }

    public int spi() {
        return spi;
    }

    boolean esn() {
        return esn;
    }

    /** True when the last sequence number has been used (the next seal returns SEQUENCE_EXHAUSTED). */
    boolean exhausted() {
        return sequence == lastSequence;
    }

    /** The sequence number of the last packet sealed (64-bit, unsigned). */
    public long sequence() {
        return sequence;
    }

    public SaCounters counters() {
        return counters;
    }

    @Override
    public void close() {
        closed = true;
        transform.close();
    }

    @Override
    public String toString() {
        return "OutboundSaState(spi: 0x" + String.format("%08x", spi) + ", " + sa.algorithm()
                + ", sequence: " + Long.toUnsignedString(sequence) + (closed ? ", closed" : "") + ')';
    }
}
