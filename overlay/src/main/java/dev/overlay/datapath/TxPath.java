package dev.overlay.datapath;

import dev.overlay.vtep.Ethernet;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Stages {@code tenant-select}, {@code pmtu-check}, {@code mss-clamp} and {@code l2-forward} of
 * the tx path as {@code pcap encode} runs them: which tenant a frame belongs to, what becomes of
 * it when it is larger than the tenant MTU ({@link PathMtu}: fragments for IPv4 without DF, else
 * a {@code too-big} drop, the ICMP error the gateway would send having nowhere to go here), its
 * SYN's MSS lowered when the tenant clamps, and which peers get a copy. A known unicast
 * destination goes to the peer its FDB entry names; broadcast, multicast and unknown unicast go
 * to every peer of the tenant, one copy each, in the order the config lists them (head-end
 * replication, RFC 7348 section 4.2).
 */
public final class TxPath {

    /** Receives each wire packet; takes ownership of the buffer. */
    @FunctionalInterface
    public interface Sink {
        void send(ByteBuf wirePacket, Tenant tenant, Peer peer);
    }

    private final Topology topology;
    private final OverlayEncap encap;
    private final ByteBufAllocator alloc;

    public TxPath(Topology topology, OverlayEncap encap, ByteBufAllocator alloc) {
        this.topology = topology;
        this.encap = encap;
        this.alloc = alloc;
    }

    /**
     * The tenant of a frame and, for a tagged frame of that tenant's VLAN, the tag removed in
     * place. With {@code forced} (a port's tenant, or {@code --tenant}) every frame is that
     * tenant's; a tag that is not its VLAN stays, as tenant data. Without it, the 802.1Q tag
     * decides. Null when the frame belongs to no tenant (counted by the caller as no-tenant).
     */
    public Tenant selectTenant(ByteBuf frame, Tenant forced) {
        int vid = frame.readableBytes() >= Ethernet.HEADER_LENGTH + Ethernet.VLAN_TAG_LENGTH
                ? Ethernet.vlanOf(frame) : -1;
        if (forced != null) {
            if (vid >= 0 && forced.config().vlan().isPresent() && forced.config().vlan().getAsInt() == vid) {
                Ethernet.removeVlanTag(frame);
            }
            return forced;
        }
        Tenant tenant = vid >= 0 ? topology.tenantByVlan(vid) : null;
        if (tenant != null) {
            Ethernet.removeVlanTag(frame);
        }
        return tenant;
    }

    /**
     * Sends one untagged frame of {@code tenant} to its peers. Takes ownership of {@code frame}
     * (with the datapath's head- and tailroom). Returns the number of wire packets sent.
     */
    public int forward(ByteBuf frame, Tenant tenant, Sink sink, DropCounts drops) {
        if (frame.readableBytes() < Ethernet.HEADER_LENGTH) {
            frame.release();
            drops.add(DatapathDrop.RUNT_FRAME);
            return 0;
        }
        if (!PathMtu.fits(frame, tenant.mtu())) {
            return oversize(frame, tenant, sink, drops);
        }
        if (tenant.clampsMss()) {
            MssClamp.clamp(frame, tenant.mss4(), tenant.mss6());
        }
        return replicate(frame, tenant, sink, drops);
    }

    /** A frame above the tenant MTU: its fragments forwarded, or a too-big drop. */
    private int oversize(ByteBuf frame, Tenant tenant, Sink sink, DropCounts drops) {
        try {
            if (PathMtu.check(frame, tenant.mtu()) == PathMtu.Verdict.FRAGMENT) {
                int[] sent = {0};
                if (PathMtu.fragment(frame, tenant.mtu(), alloc, f -> sent[0] += replicate(f, tenant, sink, drops)) > 0) {
                    return sent[0];
                }
            }
            drops.add(DatapathDrop.TOO_BIG);
            return 0;
        } finally {
            frame.release();
        }
    }

    private int replicate(ByteBuf frame, Tenant tenant, Sink sink, DropCounts drops) {
        Peer unicast = tenant.peerFor(Ethernet.destination(frame, frame.readerIndex()));
        if (unicast != null) {
            return send(frame, tenant, unicast, sink, drops);
        }
        int sent = 0;
        int last = tenant.peers().size() - 1;
        for (int i = 0; i <= last; i++) {
            ByteBuf copy = i == last ? frame : Buffers.copy(alloc, frame);
            sent += send(copy, tenant, tenant.peers().get(i), sink, drops);
        }
        if (last < 0) {
            frame.release();
        }
        return sent;
    }

    private int send(ByteBuf buf, Tenant tenant, Peer peer, Sink sink, DropCounts drops) {
        boolean ok = false;
        try {
            ok = encap.encapsulate(buf, tenant, peer, drops);
        } finally {
            if (!ok) {
                buf.release();
            }
        }
        if (!ok) {
            return 0;
        }
        sink.send(buf, tenant, peer);
        return 1;
    }
}
