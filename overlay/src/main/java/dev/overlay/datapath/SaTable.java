package dev.overlay.datapath;

import dev.overlay.config.SaConfig;
import dev.overlay.esp.InboundSaState;
import dev.overlay.esp.OutboundSaState;
import dev.overlay.esp.SecurityAssociation;
import io.netty.util.collection.IntObjectHashMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * The SAs of one config with their runtime state, as the datapath looks them up.
 *
 * <p>Outbound: by tenant and peer, in config order; several SAs for one pair are all used, each
 * inner flow pinned to one by its hash (per-resource SAs, RFC 9611).
 *
 * <p>Inbound: by SPI and by whom the packet is addressed to (RFC 4301 section 4.1: SPI plus
 * destination address), because one SPI may name an inbound and an outbound SA at once. A packet
 * addressed to this gateway is opened with its {@code in} SAs; a packet addressed elsewhere (a
 * capture of this gateway's own output) with its {@code out} SAs, so that {@code pcap decode}
 * reads both directions of a tunnel with one config.
 */
public final class SaTable implements AutoCloseable {

    /** An inbound state and the tenants its SA may carry (the VNI binding of CONTRACT.md). */
    public record Inbound(InboundSaState state, Set<Tenant> tenants, SaConfig config) {}

    private final Map<Tenant, Map<Peer, OutboundSaState[]>> outbound = new IdentityHashMap<>();
    private final IntObjectHashMap<Inbound> toUs = new IntObjectHashMap<>();
    private final IntObjectHashMap<Inbound> fromUs = new IntObjectHashMap<>();
    private final List<OutboundSaState> outboundStates = new ArrayList<>();
    private final List<Inbound> inbounds = new ArrayList<>();
    /** Each SA's states by its config (equal only with equal keys), for a reload to keep. */
    private final Map<SaConfig, Kept> kept = new HashMap<>();

    private record Kept(OutboundSaState out, InboundSaState in) {}

    private SaTable(Topology topology, boolean replayCheck, LongSupplier nanoClock, SaTable previous) {
        for (SaConfig sa : topology.config().securityAssociations()) {
            // Identity: looked up per packet (tenant-mismatch), where a record's deep hashCode costs.
            Set<Tenant> tenants = Collections.newSetFromMap(new IdentityHashMap<>());
            sa.tenants().forEach(name -> tenants.add(topology.tenant(name)));
            // A reload keeps the runtime state (sequence number, replay window, lifetime, counters)
            // of an SA whose config, keys included, did not change.
            Kept kept = previous == null ? null : previous.kept.get(sa);
            OutboundSaState state = null;
            if (sa.direction() == SaConfig.Direction.OUT) {
                state = kept != null ? kept.out
                        : new OutboundSaState(association(sa, SecurityAssociation.Direction.OUT, true), nanoClock);
                outboundStates.add(state);
                Peer peer = topology.peers().get(sa.peer());
                for (Tenant t : tenants) {
                    outbound.computeIfAbsent(t, k -> new HashMap<>()).merge(peer, new OutboundSaState[] {state},
                            SaTable::append);
                }
            }
            // Every SA can be opened: inbound ones for traffic to us, outbound ones for captures
            // of our own traffic. The latter get a window of their own, starting from zero.
            InboundSaState inState = kept != null ? kept.in
                    : new InboundSaState(association(sa, SecurityAssociation.Direction.IN, replayCheck), nanoClock);
            Inbound inbound = new Inbound(inState, Collections.unmodifiableSet(tenants), sa);
            inbounds.add(inbound);
            this.kept.put(sa, new Kept(state, inState));
            (sa.direction() == SaConfig.Direction.IN ? toUs : fromUs).put((int) sa.spi(), inbound);
        }
    }

    public static SaTable of(Topology topology, boolean replayCheck) {
        return new SaTable(topology, replayCheck, System::nanoTime, null);
    }

    public static SaTable of(Topology topology, boolean replayCheck, LongSupplier nanoClock) {
        return new SaTable(topology, replayCheck, nanoClock, null);
    }

    /**
     * The SAs of a reloaded config: those whose config (keys included) is unchanged keep
     * {@code previous}'s states, so sequence numbers and replay windows carry on; the others
     * start as configured. {@code previous} is left open: {@link #retiredBy} says what to close.
     */
    public static SaTable reloaded(Topology topology, boolean replayCheck, LongSupplier nanoClock, SaTable previous) {
        return new SaTable(topology, replayCheck, nanoClock, previous);
    }

    /** The states of this table that {@code next} does not keep: to be closed (keys wiped) once unused. */
    public List<AutoCloseable> retiredBy(SaTable next) {
        List<AutoCloseable> out = new ArrayList<>();
        kept.forEach((sa, k) -> {
            Kept after = next.kept.get(sa);
            if (after == null || after.in != k.in) {
                out.add(() -> wipe(k.in));
                if (k.out != null) {
                    out.add(() -> wipe(k.out));
                }
            }
        });
        return out;
    }

    // A closed state wipes its transform's keys, but its SecurityAssociation record keeps its own
    // copy; it is this table's (made by association() for this state alone), so wipe that too.
    private static void wipe(InboundSaState state) {
        state.close();
        state.association().wipe();
    }

    private static void wipe(OutboundSaState state) {
        state.close();
        state.association().wipe();
    }

    private static OutboundSaState[] append(OutboundSaState[] a, OutboundSaState[] b) {
        OutboundSaState[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** The record ESP works from. Outbound SAs opened for decoding start their window at zero. */
    static SecurityAssociation association(SaConfig sa, SecurityAssociation.Direction direction, boolean replayCheck) {
        boolean asConfigured = direction == SecurityAssociation.Direction.OUT || sa.direction() == SaConfig.Direction.IN;
        int window = !replayCheck ? 0 : asConfigured ? sa.replayWindow() : SaConfig.DEFAULT_REPLAY_WINDOW;
        int icv = sa.algorithm().combined() ? sa.icvLength() : sa.integrity() == null ? 0 : sa.integrity().icvLength();
        return new SecurityAssociation((int) sa.spi(), direction, sa.algorithm(), icv, sa.key(), sa.integrity(),
                sa.integrity() == null ? null : sa.integrityKey(),
                sa.mode() == SaConfig.Mode.TUNNEL ? SecurityAssociation.Mode.TUNNEL : SecurityAssociation.Mode.TRANSPORT,
                sa.esn(), asConfigured ? sa.initialSequence() : 0, window,
                new SecurityAssociation.Lifetime(sa.lifetime().packets(), sa.lifetime().bytes(), sa.lifetime().seconds()),
                sa.tenants(), sa.peer());
    }

    /** The outbound SAs for a tenant's traffic to a peer, or null when there is none. */
    public OutboundSaState[] outbound(Tenant tenant, Peer peer) {
        Map<Peer, OutboundSaState[]> byPeer = outbound.get(tenant);
        return byPeer == null ? null : byPeer.get(peer);
    }

    /** The SA to open a packet with: by SPI, among the in SAs when it is addressed to us, else the out SAs. */
    public Inbound inbound(int spi, boolean addressedToUs) {
        return (addressedToUs ? toUs : fromUs).get(spi);
    }

    public List<OutboundSaState> outboundStates() {
        return Collections.unmodifiableList(outboundStates);
    }

    /** Every SA as opened for receiving, in config order. */
    public List<Inbound> inbounds() {
        return Collections.unmodifiableList(inbounds);
    }

    /** Wipes every key. */
    @Override
    public void close() {
        outboundStates.forEach(SaTable::wipe);
        inbounds.forEach(i -> wipe(i.state()));
    }
}
