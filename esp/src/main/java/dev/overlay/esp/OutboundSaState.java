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
    /** Reserve-ahead, set by {@link #reserve}; null: the sequence space alone limits this SA. */
    private SequenceReserve reserve;
    /** Sequence numbers per extension of the reservation. */
    private long step;
    /** The highest sequence number persisted as reserved (unsigned); written by the store's thread. */
    private volatile long granted = -1L;
    /**
     * Owner-only: {@link EspEncrypt#seal} takes the slow path ({@link #checkReservation}) once the
     * next sequence number passes this (unsigned), so the hot path reads no volatile field.
     */
    long checkAfter = -1L;
    /** Owner-only: the grant for which an extension was last requested. */
    private long requestedFor;

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
        this.transform = sa.newTransform(ivSource);
    }

    /**
     * Puts this SA under a persisted reservation: sending resumes after {@code floor} (what an
     * earlier run may have used; never below the configured initial sequence), and never goes
     * past {@code granted} until {@link #grant} raises it. Call before the state is handed to
     * its owner worker (publication, e.g. through a volatile view, orders these writes).
     *
     * @param step how many numbers one extension adds; {@link SequenceReserve#request} is asked
     *     when less than half a step remains
     */
    public void reserve(SequenceReserve reserve, long step, long floor, long granted) {
        if (step < 2) {
            throw new IllegalArgumentException("step: " + step + " (expected: >= 2)");
        }
        this.reserve = java.util.Objects.requireNonNull(reserve, "reserve");
        this.step = step;
        if (Long.compareUnsigned(floor, sequence) > 0) {
            sequence = Long.compareUnsigned(floor, lastSequence) > 0 ? lastSequence : floor;
        }
        this.granted = granted;
        this.requestedFor = sequence; // never equal to a grant worth asking for before the first check
        this.checkAfter = sequence;   // the first seal looks at the reservation
    }

    /** The store's answer: sequence numbers up to {@code reserved} (unsigned) are on stable storage. */
    public void grant(long reserved) {
        if (Long.compareUnsigned(reserved, granted) > 0) {
            granted = reserved;
        }
    }

    /** The highest sequence number persisted as reserved; unsigned max when not under a reservation. */
    public long granted() {
        return granted;
    }

    /** The highest sequence number this SA may ever send: 2^32 - 1, or 2^64 - 1 (unsigned) with ESN. */
    public long lastSequence() {
        return lastSequence;
    }

    /**
     * Slow path of {@link EspEncrypt#seal} once {@code next} passed {@link #checkAfter}: null to
     * send, or {@link EspDrop#SEQUENCE_RESERVE} when {@code next} is not yet reserved on disk.
     */
    EspDrop checkReservation(long next) {
        long g = granted;
        if (Long.compareUnsigned(next, g) > 0) {
            reserve.request(this); // the store coalesces: one extension however many drops
            return EspDrop.SEQUENCE_RESERVE;
        }
        long half = step >>> 1;
        long low = Long.compareUnsigned(g, half) > 0 ? g - half : 0;
        if (Long.compareUnsigned(next, low) > 0) {
            // Less than half a step left: ask once per grant, then run to the grant unchecked.
            if (requestedFor != g && g != lastSequence) {
                requestedFor = g;
                reserve.request(this);
            }
            checkAfter = g;
        } else {
            checkAfter = low;
        }
        return null;
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
                + ", sequence: " + Long.toUnsignedString(sequence)
                + (reserve == null ? "" : ", reserved: " + Long.toUnsignedString(granted)) + (closed ? ", closed" : "") + ')';
    }
}
