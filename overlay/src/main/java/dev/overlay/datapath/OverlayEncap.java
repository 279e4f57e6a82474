package dev.overlay.datapath;

import dev.overlay.config.GatewayConfig;
import dev.overlay.esp.EspDrop;
import dev.overlay.esp.EspEncrypt;
import dev.overlay.esp.OutboundSaState;
import dev.overlay.esp.SecurityAssociation;
import dev.overlay.steering.SteeringHash;
import dev.overlay.vtep.Ethernet;
import dev.overlay.vtep.FlowHash;
import dev.overlay.vtep.Geneve;
import dev.overlay.vtep.Ipv4;
import dev.overlay.vtep.Ipv6;
import dev.overlay.vtep.Udp;
import dev.overlay.vtep.Vxlan;
import io.netty.buffer.ByteBuf;

/**
 * Stage {@code overlay-encap}: one tenant frame to the wire packet for one peer, in place.
 *
 * <ol>
 *   <li>flow hash of the inner frame (outer UDP source port, RFC 7348 section 5; IPv6 flow label,
 *       RFC 6438)</li>
 *   <li>VXLAN header, or Geneve header with the tenant's options</li>
 *   <li>UDP to the tenant's overlay port</li>
 *   <li>for an esp tenant: ESP over that datagram (transport mode), or over an inner IP header
 *       and the datagram (tunnel mode), then UDP 4500 for ESP in UDP (RFC 3948)</li>
 *   <li>outer IPv4 (DF and RFC 6864 ID 0; with {@code underlay-fragmentation: allow} no DF and an
 *       ID of its own) or IPv6, then outer Ethernet</li>
 * </ol>
 *
 * On entry the buffer's readable bytes are the untagged frame, with {@link Buffers#HEADROOM}
 * before it; on success they are the wire packet. On failure the drop is counted and the caller
 * releases the buffer.
 */
public final class OverlayEncap {
    /** IP protocol numbers of the inner packet in tunnel mode (the ESP next header). */
    static final int IPPROTO_IPIP = 4;
    static final int IPPROTO_IPV6 = 41;

    private final Topology topology;
    private final SaTable sas;
    private final GatewayConfig gateway;
    private final byte[] source;
    private final boolean espInUdp;
    private final boolean dontFragment;
    /** The identification of the next outer IPv4 packet without DF: single writer (pcap encode). */
    private int nextId;

    public OverlayEncap(Topology topology, SaTable sas) {
        this.topology = topology;
        this.sas = sas;
        this.gateway = topology.gateway();
        this.source = topology.gatewayAddress();
        this.espInUdp = gateway.espTransport() == GatewayConfig.EspTransport.UDP;
        this.dontFragment = !gateway.fragmentationAllowed();
    }

    /** Encapsulates one frame of {@code tenant} toward {@code peer}, with ESP unless the tenant's security is none. */
    public boolean encapsulate(ByteBuf buf, Tenant tenant, Peer peer, DropCounts drops) {
        if (!fits(buf, tenant, drops)) {
            return false;
        }
        int hash = flowHash(buf);
        if (!tenant.esp()) {
            overlayHeaders(buf, tenant, peer, hash);
            outerHeaders(buf, peer, hash, Udp.PROTOCOL);
            return true;
        }
        OutboundSaState sa = outboundSa(tenant, peer, buf);
        if (sa == null) {
            drops.add(DatapathDrop.NO_SA);
            return false;
        }
        if (!seal(buf, peer, tenant, sa, hash, drops)) {
            return false;
        }
        if (espInUdp) {
            // RFC 3948 section 2.1: source and destination 4500; over IPv4 the checksum SHOULD be
            // zero (ESP authenticates what it covers); over IPv6 Udp computes it.
            Udp.prepend(buf, gateway.espPort(), gateway.espPort(), source, peer.address(), false);
            outerHeaders(buf, peer, hash, Udp.PROTOCOL);
        } else {
            outerHeaders(buf, peer, hash, Ipv4.PROTOCOL_ESP);
        }
        return true;
    }

    /**
     * Socket mode: as {@link #encapsulate} but stops where a socket takes over, the socket adding
     * UDP (and the kernel IP): for an esp tenant after ESP (the payload of a UDP socket on
     * esp-port, or of a protocol-50 socket), for cleartext after the VXLAN or Geneve header (the
     * payload of a UDP socket on vxlan-port or geneve-port). {@code sa} is the one
     * {@link #outboundSa} picked when the frame was steered to its owner worker: sealing with it,
     * not with a fresh pick, keeps its sequence numbers single-writer across a reload.
     */
    public boolean encapsulateForSocket(ByteBuf buf, Tenant tenant, Peer peer, OutboundSaState sa, DropCounts drops) {
        if (!fits(buf, tenant, drops)) {
            return false;
        }
        int hash = flowHash(buf);
        if (!tenant.esp()) {
            tunnelHeader(buf, tenant);
            return true;
        }
        if (sa == null) {
            drops.add(DatapathDrop.NO_SA);
            return false;
        }
        return seal(buf, peer, tenant, sa, hash, drops);
    }

    /** The inner flow hash of a frame (its readable bytes): outer source port, SA choice, steering. */
    public static int flowHash(ByteBuf frame) {
        return FlowHash.hash(frame, frame.readerIndex(), frame.readableBytes());
    }

    /**
     * The outbound SA a frame of flow {@code hash} is sealed with, or null when the tenant has
     * none to that peer. Per-resource SAs (RFC 9611): each inner flow stays on one SA, so its
     * packets keep their order, and the flows of one tunnel spread over the receiver's workers by SPI.
     */
    public OutboundSaState outboundSa(Tenant tenant, Peer peer, ByteBuf frame) {
        OutboundSaState[] candidates = sas.outbound(tenant, peer);
        if (candidates == null) {
            return null;
        }
        if (candidates.length == 1) {
            return candidates[0];
        }
        // Symmetric: a flow and its replies take the same place in each end's list of SAs.
        int hash = FlowHash.symmetric(frame, frame.readerIndex(), frame.readableBytes());
        return candidates[SteeringHash.pick(hash, candidates.length)];
    }

    /**
     * The last word on size: a frame above the tenant MTU is never sent. Callers that can do better
     * ({@link PathMtu}: an ICMP to the sender, or fragments) have already; this counts the rest.
     */
    private static boolean fits(ByteBuf buf, Tenant tenant, DropCounts drops) {
        int frameLength = buf.readableBytes();
        if (frameLength < Ethernet.HEADER_LENGTH) {
            drops.add(DatapathDrop.RUNT_FRAME);
            return false;
        }
        if (!PathMtu.fits(buf, tenant.mtu())) {
            drops.add(DatapathDrop.TOO_BIG);
            return false;
        }
        return true;
    }

    /** Overlay headers, the inner IP header in tunnel mode, then ESP. */
    private boolean seal(ByteBuf buf, Peer peer, Tenant tenant, OutboundSaState sa, int hash, DropCounts drops) {
        overlayHeaders(buf, tenant, peer, hash);
        int nextHeader = Udp.PROTOCOL;
        if (sa.association().mode() == SecurityAssociation.Mode.TUNNEL) {
            // Tunnel mode: the inner IP header repeats the outer addresses (gateway to gateway).
            if (peer.ipv6()) {
                Ipv6.prepend(buf, source, peer.address(), Udp.PROTOCOL, FlowHash.ipv6FlowLabel(hash));
                nextHeader = IPPROTO_IPV6;
            } else {
                Ipv4.prepend(buf, source, peer.address(), Udp.PROTOCOL);
                nextHeader = IPPROTO_IPIP;
            }
        }
        EspDrop refused = EspEncrypt.seal(sa, buf, nextHeader);
        if (refused != null) {
            drops.add(refused);
            return false;
        }
        return true;
    }

    /** The VXLAN header, or the Geneve header with the tenant's options. */
    private static void tunnelHeader(ByteBuf buf, Tenant tenant) {
        if (tenant.geneve()) {
            Geneve.prepend(buf, tenant.vni(), tenant.geneveOptions(), false);
        } else {
            Vxlan.prepend(buf, tenant.vni());
        }
    }

    /** VXLAN or Geneve, then the UDP header of the overlay datagram. */
    void overlayHeaders(ByteBuf buf, Tenant tenant, Peer peer, int hash) {
        tunnelHeader(buf, tenant);
        // Over IPv4 the overlay's UDP checksum is zero, as RFC 7348 section 5 and RFC 8926
        // section 3.3 allow and Linux sends by default; over IPv6 Udp computes it (RFC 8200 8.1).
        Udp.prepend(buf, FlowHash.sourcePort(hash), tenant.udpPort(), source, peer.address(), false);
    }

    /** Outer IP header with {@code protocol}, then outer Ethernet. */
    void outerHeaders(ByteBuf buf, Peer peer, int hash, int protocol) {
        if (peer.ipv6()) {
            Ipv6.prepend(buf, source, peer.address(), protocol, FlowHash.ipv6FlowLabel(hash));
            Ethernet.prepend(buf, peer.mac(), topology.gatewayMac(), Ethernet.TYPE_IPV6);
        } else {
            Ipv4.prepend(buf, source, peer.address(), protocol, dontFragment, dontFragment ? 0 : ++nextId);
            Ethernet.prepend(buf, peer.mac(), topology.gatewayMac(), Ethernet.TYPE_IPV4);
        }
    }
}
