package dev.overlay.esp;

import java.util.Arrays;
import java.util.List;

/**
 * The SAD (RFC 4301 4.4.2): inbound states by SPI for the receive path, outbound states by
 * SPI for the send path. Lookups are lock-free reads of an immutable table; add and remove
 * copy the table under a lock (SAs change rarely, packets arrive constantly), so they may run
 * while workers look up. Removing an SA closes its state, which wipes its key copies; a packet
 * already in flight on the owner worker finishes with the JCA's own key copy and later packets
 * see {@link EspDrop#SA_CLOSED} or, being unpublished, {@link EspDrop#UNKNOWN_SPI}.
 */
public final class SaDatabase implements AutoCloseable {
    private volatile SpiTable<InboundSaState> inbound = SpiTable.empty();
    private volatile SpiTable<OutboundSaState> outbound = SpiTable.empty();

    /** The inbound state of {@code spi}, or {@code null} (the caller counts {@link EspDrop#UNKNOWN_SPI}). */
    public InboundSaState inbound(int spi) {
        return inbound.get(spi);
    }

    public OutboundSaState outbound(int spi) {
        return outbound.get(spi);
    }

    public List<InboundSaState> inbounds() {
        return inbound.values();
    }

    public List<OutboundSaState> outbounds() {
        return outbound.values();
    }

    /** Adds {@code state}; an SPI already present is misuse (RFC 4301 4.1: an inbound SPI names one SA). */
    public synchronized void add(InboundSaState state) {
        if (inbound.get(state.spi()) != null) {
            throw new IllegalArgumentException("spi: 0x" + Integer.toHexString(state.spi()) + " (expected: not already inbound)");
        }
        inbound = inbound.with(state.spi(), state);
    }

    public synchronized void add(OutboundSaState state) {
        if (outbound.get(state.spi()) != null) {
            throw new IllegalArgumentException("spi: 0x" + Integer.toHexString(state.spi()) + " (expected: not already outbound)");
        }
        outbound = outbound.with(state.spi(), state);
    }

    /** Unpublishes and closes (wipes) the inbound SA of {@code spi}; false when there was none. */
    public synchronized boolean removeInbound(int spi) {
        InboundSaState s = inbound.get(spi);
        if (s == null) {
            return false;
        }
        inbound = inbound.without(spi);
        s.close();
        return true;
    }

    public synchronized boolean removeOutbound(int spi) {
        OutboundSaState s = outbound.get(spi);
        if (s == null) {
            return false;
        }
        outbound = outbound.without(spi);
        s.close();
        return true;
    }

    /** Removes and wipes every SA. */
    @Override
    public synchronized void close() {
        SpiTable<InboundSaState> in = inbound;
        SpiTable<OutboundSaState> out = outbound;
        inbound = SpiTable.empty();
        outbound = SpiTable.empty();
        in.values().forEach(InboundSaState::close);
        out.values().forEach(OutboundSaState::close);
    }

    static void wipe(byte[]... keys) {
        for (byte[] k : keys) {
            if (k != null) {
                Arrays.fill(k, (byte) 0);
            }
        }
    }

    @Override
    public String toString() {
        return "SaDatabase(inbound: " + inbound.size() + ", outbound: " + outbound.size() + ')';
    }
}
