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
    /**
     * With ESN, true until a packet verifies when the SA's numbers may be anywhere: the first
     * packets' high halves are then tried near {@link #resyncReference} ({@link EsnResync});
     * after that, as for every other SA, the window's top anchors inference.
     */
    boolean resync;
    /** The 64-bit number the SA had reached where its keys were read (an {@code ip xfrm state} dump's replay state). */
    long resyncReference;
    /** A copy of the packet being tried, to restore after a failed trial (CCM decrypts before it verifies). */
    byte[] trial;

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

    /**
     * An inbound state of an ESN SA whose sequence numbers are not known to start near zero (a
     * capture of a long-lived SA): its window starts empty, and until a packet verifies, each
     * packet's high half is tried from the few values near {@code reference}'s (see
     * {@link EsnResync}); from then on the window anchors inference (RFC 4303 Appendix A).
     */
    public static InboundSaState resynchronizing(SecurityAssociation sa, LongSupplier nanoClock, long reference) {
        if (!sa.esn()) {
            throw new IllegalArgumentException("sa: " + sa + " (expected: esn)");
        }
        InboundSaState state = new InboundSaState(sa, nanoClock);
        state.resync = true;
        state.resyncReference = reference;
        return state;
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
