package dev.overlay.datapath;

import dev.overlay.config.SaConfig;
import dev.overlay.esp.InboundSaState;
import dev.overlay.esp.OutboundSaState;
import dev.overlay.esp.SecurityAssociation;
import dev.overlay.vtep.OuterHeaders;
import io.netty.buffer.ByteBuf;
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
 *
 * <p>SAs from outside the config ({@link ExternalSa}, the pcap tools' {@code --sa-file}) only
 * open: they are looked up after the config's, by SPI and, when their file gives one, by the
 * outer destination address.
 */
public final class SaTable implements AutoCloseable {

    /**
     * An inbound state and the tenants its SA may carry (the VNI binding of CONTRACT.md).
     *
     * @param external the SA's origin when it is not the config's, else null
     */
    public record Inbound(InboundSaState state, Set<Tenant> tenants, SaConfig config, ExternalSa external) {

        /** False for an SA from outside the config: it names no tenant, so the VNI binding cannot be checked. */
        public boolean bindsTenants() {
            return external == null;
        }

        /**
         * Whether the payload this SA opened with {@code nextHeader} is tunnel mode: as the SA
         * says, or, when its file does not say (Wireshark's esp_sa), when it is IPv4 or IPv6.
         */
        public boolean tunnel(int nextHeader) {
            if (external != null && external.mode().isEmpty()) {
                return nextHeader == OverlayEncap.IPPROTO_IPIP || nextHeader == OverlayEncap.IPPROTO_IPV6;
            }
            return state.association().mode() == SecurityAssociation.Mode.TUNNEL;
        }
    }

    /** An external SA and the outer destination it is for (null: any). */
    private record Destined(byte[] destination, Inbound inbound) {}

    private final Map<Tenant, Map<Peer, OutboundSaState[]>> outbound = new IdentityHashMap<>();
    private final IntObjectHashMap<Inbound> toUs = new IntObjectHashMap<>();
    private final IntObjectHashMap<Inbound> fromUs = new IntObjectHashMap<>();
    private final List<OutboundSaState> outboundStates = new ArrayList<>();
    private final List<Inbound> inbounds = new ArrayList<>();
    private final IntObjectHashMap<Destined[]> external = new IntObjectHashMap<>();
    private final int[] externalEspInUdpPorts;
    /** Each SA's states by its config (equal only with equal keys), for a reload to keep. */
    private final Map<SaConfig, Kept> kept = new HashMap<>();

    private record Kept(OutboundSaState out, InboundSaState in) {}

    private SaTable(Topology topology, boolean replayCheck, LongSupplier nanoClock, SaTable previous,
                    List<ExternalSa> externals) {
        for (SaConfig sa : topology.config().securityAssociations()) {
            // Identity: looked up per packet (tenant-mismatch), where a record's deep hashCode costs.
            Set<Tenant> tenants = Collections.newSetFromMap(new IdentityHashMap<>());
            sa.tenants().forEach(name -> tenants.add(topology.tenant(name)));
            // A reload keeps the runtime state (sequence number, replay window, lifetime, counters)
            // of an SA whose config, keys included, did not change.
            Kept kept = previous == null ? null : previous.kept.get(sa);
            OutboundSaState state = null;
            // An out SA that may not send (a read-only transform, a non-RFC 4868 key) is in a
            // config loaded for reading only (Purpose.READING): it opens, and nothing seals with it.
            if (sa.direction() == SaConfig.Direction.OUT && sa.sendable()) {
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
            Inbound inbound = new Inbound(inState, Collections.unmodifiableSet(tenants), sa, null);
            inbounds.add(inbound);
            this.kept.put(sa, new Kept(state, inState));
            (sa.direction() == SaConfig.Direction.IN ? toUs : fromUs).put((int) sa.spi(), inbound);
        }
        java.util.TreeSet<Integer> ports = new java.util.TreeSet<>();
        for (ExternalSa e : externals) {
            SecurityAssociation association = association(e.sa(), SecurityAssociation.Direction.IN, replayCheck);
            // With ESN and the dump's replay state, the capture's numbers may be past 2^32: the
            // first packets try high halves near the dump's (EsnResync) instead of starting at 0.
            InboundSaState state = e.esnReference().isPresent()
                    ? InboundSaState.resynchronizing(association, nanoClock, e.esnReference().getAsLong())
                    : new InboundSaState(association, nanoClock);
            Inbound inbound = new Inbound(state, Set.of(), e.sa(), e);
            inbounds.add(inbound);
            Destined d = new Destined(e.destination().map(java.net.InetAddress::getAddress).orElse(null), inbound);
            external.merge((int) e.sa().spi(), new Destined[] {d}, SaTable::append);
            if (e.espInUdpPort() != 0) {
                ports.add(e.espInUdpPort());
            }
        }
        externalEspInUdpPorts = ports.stream().mapToInt(Integer::intValue).toArray();
    }

    public static SaTable of(Topology topology, boolean replayCheck) {
        return new SaTable(topology, replayCheck, System::nanoTime, null, List.of());
    }

    public static SaTable of(Topology topology, boolean replayCheck, LongSupplier nanoClock) {
        return new SaTable(topology, replayCheck, nanoClock, null, List.of());
    }

    /** The config's SAs and, after them, {@code externals} (the pcap tools' {@code --sa-file}). */
    public static SaTable of(Topology topology, boolean replayCheck, List<ExternalSa> externals) {
        return new SaTable(topology, replayCheck, System::nanoTime, null, externals);
    }

    /**
     * The SAs of a reloaded config: those whose config (keys included) is unchanged keep
     * {@code previous}'s states, so sequence numbers and replay windows carry on; the others
     * start as configured. {@code previous} is left open: {@link #retiredBy} says what to close.
     */
    public static SaTable reloaded(Topology topology, boolean replayCheck, LongSupplier nanoClock, SaTable previous) {
        return new SaTable(topology, replayCheck, nanoClock, previous, List.of());
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

    private static <T> T[] append(T[] a, T[] b) {
        T[] out = java.util.Arrays.copyOf(a, a.length + b.length);
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

    /**
     * The SA from outside the config for ESP with {@code spi} in a packet parsed into
     * {@code outer}: the one for its outer destination address, else one for any destination;
     * null when there is none.
     */
    public Inbound external(int spi, ByteBuf pkt, OuterHeaders outer) {
        Destined[] candidates = external.get(spi);
        if (candidates == null) {
            return null;
        }
        Inbound any = null;
        for (Destined d : candidates) {
            if (d.destination() == null) {
                any = any == null ? d.inbound() : any;
            } else if (outer.dstAddressEquals(pkt, d.destination())) {
                return d.inbound();
            }
        }
        return any;
    }

    /** The UDP ports the external SAs' files name for their ESP in UDP, besides esp-port. */
    int[] externalEspInUdpPorts() {
        return externalEspInUdpPorts;
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
