package dev.overlay.esp;

import dev.overlay.esp.transform.EspTransform;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * The runtime of an SA that opens: its transform, replay window (which also anchors ESN
 * inference), lifetime and counters. Confined to the SA's owner worker; {@link #close()}
 * wipes the keys it holds.
 */
public final class InboundSaState implements AutoCloseable {
    private final SecurityAssociation sa;
    private final int spi;
    private final boolean esn;
    final EspTransform transform;
    final ReplayWindow replay;
    final Lifetime lifetime;
    private final SaCounters counters = new SaCounters();
    boolean closed;

    public InboundSaState(SecurityAssociation sa) {
        this(sa, System::nanoTime);
    }

    /** {@code nanoClock}: the time source of the seconds lifetime ({@link System#nanoTime()} in production). */
    public InboundSaState(SecurityAssociation sa, LongSupplier nanoClock) {
        this.sa = Objects.requireNonNull(sa, "sa");
        this.spi = sa.spi();
        this.esn = sa.esn();
        // The config's initial-sequence is the highest number already seen: the window's top.
        this.replay = new ReplayWindow(sa.replayWindow(), sa.initialSequence());
        this.lifetime = new Lifetime(sa.lifetime(), nanoClock);
        this.transform = sa.newTransform(null);
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

    /** The highest sequence number authenticated so far (64-bit, unsigned). */
    public long highestSequence() {
        return replay.top();
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
        return "InboundSaState(spi: 0x" + String.format("%08x", spi) + ", " + sa.algorithm() + ", " + replay
                + (closed ? ", closed" : "") + ')';
    }
}
