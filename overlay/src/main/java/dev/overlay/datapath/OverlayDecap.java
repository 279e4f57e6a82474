package dev.overlay.datapath;

import dev.overlay.config.GatewayConfig;
import dev.overlay.esp.EspDrop;
import dev.overlay.esp.EspResult;
import dev.overlay.vtep.Ethernet;
import dev.overlay.vtep.Geneve;
import dev.overlay.vtep.Ipv4;
import dev.overlay.vtep.Ipv6;
import dev.overlay.vtep.Udp;
import dev.overlay.vtep.OuterHeaders;
import dev.overlay.vtep.VtepDrop;
import dev.overlay.vtep.Vxlan;
import io.netty.buffer.ByteBuf;

/**
 * Stages {@code classify}, {@code vxlan-decap} / {@code geneve-decap} and {@code tenant-check} of
 * the rx path, for wire packets that start at the outer Ethernet header.
 *
 * <ol>
 *   <li>parse outer Ethernet, IP and UDP (vtep's {@link OuterHeaders})</li>
 *   <li>classify: UDP to esp-port is ESP in UDP unless it carries the non-ESP marker (RFC 3948
 *       section 2.2: a zero SPI is IKE) or is a NAT keepalive; IP protocol 50 is ESP; UDP to
 *       vxlan-port or geneve-port is cleartext overlay; anything else is not overlay</li>
 *   <li>ESP ({@link EspOpen}, shared with {@code pcap decrypt}): decrypt with the SA of the SPI,
 *       then the protected UDP datagram (transport mode) or IP packet (tunnel mode) is
 *       classified again by its UDP port</li>
 *   <li>VXLAN or Geneve header checked, the tenant found by VNI, cleartext refused for esp tenants,
 *       the VNI checked against the SA's tenants</li>
 * </ol>
 *
 * Keys without a config ({@link Topology#keysOnly()}) know no tenant: every VNI is taken, with
 * no tenant, and an SA from outside the config ({@link ExternalSa}) names no tenant to check the
 * VNI against; {@link Result#tenantChecked} says when a frame passed without that check.
 *
 * On success the buffer's readable bytes are the inner frame and {@link Result} says whose it is.
 * On failure exactly one drop reason is counted; the caller keeps ownership of the buffer either way.
 */
public final class OverlayDecap {

    /** What a successful decapsulation found; reused for every packet by one thread. */
    public static final class Result {
        /** The tenant the inner frame belongs to; null only without a config ({@link Topology#keysOnly()}). */
        public Tenant tenant;
        /** The VNI and encapsulation of the overlay header. */
        public int vni;
        public boolean geneve;
        /**
         * False when no tenant binding could be checked: no config, or an SA from outside it that
         * names no tenant.
         */
        public boolean tenantChecked;
        /** The SPI of the SA that protected it, or -1 for cleartext. */
        public long spi;
        /** The SA that protected it, or null for cleartext. */
        public SaTable.Inbound sa;
        /** Where the outer IP source address is in the buffer, for FDB learning by peer address. */
        public int outerSourceOffset;
        public int outerAddressLength;
    }

    private final Topology topology;
    private final EspOpen espOpen;
    private final GatewayConfig gateway;
    private final boolean verifyUdpChecksums;
    private final OuterHeaders outer = new OuterHeaders();
    private final EspResult esp = new EspResult();

    /**
     * @param verifyUdpChecksums verify the outer UDP checksum; off for captures taken on a sending
     *     host, whose checksums the NIC had not yet filled in (tcpdump's "bad udp cksum")
     */
    public OverlayDecap(Topology topology, SaTable sas, boolean verifyUdpChecksums) {
        this.topology = topology;
        this.espOpen = new EspOpen(topology, sas);
        this.gateway = topology.gateway();
        this.verifyUdpChecksums = verifyUdpChecksums;
    }

    public boolean decapsulate(ByteBuf pkt, Result out, DropCounts drops) {
        VtepDrop bad = OuterHeaders.parse(pkt, outer, verifyUdpChecksums);
        if (bad != null) {
            drops.add(bad);
            return false;
        }
        out.spi = -1;
        out.sa = null;
        out.tenant = null;
        out.tenantChecked = false;
        out.outerSourceOffset = outer.srcAddressOffset;
        out.outerAddressLength = outer.addressLength();
        int espOffset = espOpen.espOffset(pkt, outer);
        if (espOffset >= 0) {
            return esp(pkt, espOffset, out, drops);
        }
        if (outer.isUdp()) {
            int port = outer.dstPort;
            if (port == gateway.vxlanPort()) {
                return overlay(pkt, false, outer.payloadOffset, outer.payloadLength, out, drops);
            }
            if (port == gateway.genevePort()) {
                return overlay(pkt, true, outer.payloadOffset, outer.payloadLength, out, drops);
            }
        }
        drops.add(DatapathDrop.NOT_OVERLAY);
        return false;
    }

    /**
     * The ESP packet at {@code offset}: opened with the SA of its SPI, then the protected UDP
     * datagram (transport mode) or IP packet (tunnel mode) must be overlay traffic, and its VNI one
     * of the tenants the SA may carry.
     */
    private boolean esp(ByteBuf pkt, int offset, Result out, DropCounts drops) {
        return opened(pkt, espOpen.open(pkt, outer, offset, esp, drops), out, drops);
    }

    /**
     * Socket mode, ESP: the buffer's readable bytes are an ESP packet as a UDP socket on esp-port
     * or a protocol-50 socket delivers it (outer headers already gone; it reached this gateway's
     * socket, so it is addressed to us). Otherwise as {@link #decapsulate}; the outer source is
     * the socket's sender, so {@link Result#outerSourceOffset} is -1.
     */
    public boolean decapsulateEsp(ByteBuf pkt, Result out, DropCounts drops) {
        reset(out);
        return opened(pkt, espOpen.open(pkt, pkt.readerIndex(), pkt.writerIndex(), true, esp, drops), out, drops);
    }

    /**
     * Socket mode, cleartext: the buffer's readable bytes are the payload of a UDP datagram to
     * vxlan-port ({@code geneve} false) or geneve-port; the tenant's security decides whether it
     * may be taken ({@link DatapathDrop#CLEARTEXT_REFUSED}).
     */
    public boolean decapsulateOverlay(ByteBuf pkt, boolean geneve, Result out, DropCounts drops) {
        reset(out);
        return overlay(pkt, geneve, pkt.readerIndex(), pkt.readableBytes(), out, drops);
    }

    private static void reset(Result out) {
        out.spi = -1;
        out.sa = null;
        out.tenant = null;
        out.tenantChecked = false;
        out.outerSourceOffset = -1;
        out.outerAddressLength = 0;
    }

    /** The rest of the ESP path once {@link EspOpen} returned {@code sa} (null: already counted). */
    private boolean opened(ByteBuf pkt, SaTable.Inbound sa, Result out, DropCounts drops) {
        if (sa == null) {
            return false;
        }
        out.spi = sa.state().spi() & 0xFFFF_FFFFL;
        out.sa = sa;
        int at = pkt.readerIndex();
        int left = pkt.readableBytes();
        boolean tunnel = sa.tunnel(esp.nextHeader);
        // An SA of ours tunnels in the underlay's family; one from a file may tunnel either.
        int ours = topology.ipv6() ? OverlayEncap.IPPROTO_IPV6 : OverlayEncap.IPPROTO_IPIP;
        boolean expected = !tunnel ? esp.nextHeader == Udp.PROTOCOL
                : sa.bindsTenants() ? esp.nextHeader == ours
                : esp.nextHeader == OverlayEncap.IPPROTO_IPV6 || esp.nextHeader == OverlayEncap.IPPROTO_IPIP;
        if (!expected) {
            drops.add(DatapathDrop.BAD_NEXT_HEADER);
            return false;
        }
        if (tunnel) {
            int header = innerIpHeader(pkt, at, left);
            if (header < 0) {
                drops.add(DatapathDrop.BAD_NEXT_HEADER);
                return false;
            }
            int total = header == Ipv6.HEADER_LENGTH
                    ? Ipv6.HEADER_LENGTH + pkt.getUnsignedShort(at + 4) : pkt.getUnsignedShort(at + 2);
            if (total > left) {
                drops.add(VtepDrop.BAD_IP_LENGTH);
                return false;
            }
            at += header;
            left = total - header;
        }
        if (left < Udp.HEADER_LENGTH) {
            drops.add(VtepDrop.TRUNCATED);
            return false;
        }
        int udpLength = pkt.getUnsignedShort(at + 4);
        if (udpLength < Udp.HEADER_LENGTH || udpLength > left) {
            drops.add(VtepDrop.BAD_UDP_LENGTH);
            return false;
        }
        int port = pkt.getUnsignedShort(at + 2);
        boolean geneve = port == gateway.genevePort();
        if (!geneve && port != gateway.vxlanPort()) {
            drops.add(DatapathDrop.NOT_OVERLAY);
            return false;
        }
        if (!overlay(pkt, geneve, at + Udp.HEADER_LENGTH, udpLength - Udp.HEADER_LENGTH, out, drops)) {
            return false;
        }
        if (!sa.bindsTenants()) {
            // Keys from a file name no tenant: what they open is taken, and said to be unchecked.
            out.tenantChecked = false;
            return true;
        }
        if (!sa.tenants().contains(out.tenant)) {
            // The SA authenticated the packet, but its sender may not speak for this VNI: a peer
            // that holds one tenant's key must not inject into another tenant.
            sa.state().counters().count(EspDrop.TENANT_MISMATCH);
            drops.add(EspDrop.TENANT_MISMATCH);
            return false;
        }
        return true;
    }

    /**
     * The length of the inner IP header of a tunnel-mode packet that carries UDP, or -1 when it is
     * not one: IPv4 without fragmentation, or IPv6 whose next header is UDP.
     */
    private static int innerIpHeader(ByteBuf pkt, int at, int left) {
        if (left < 1) {
            return -1;
        }
        int version = pkt.getUnsignedByte(at) >>> 4;
        if (version == 4) {
            int ihl = (pkt.getUnsignedByte(at) & 0x0F) * 4;
            if (ihl < Ipv4.HEADER_LENGTH || left < ihl || pkt.getUnsignedByte(at + 9) != Udp.PROTOCOL
                    || (pkt.getUnsignedShort(at + 6) & 0x3FFF) != 0) {
                return -1;
            }
            return ihl;
        }
        if (version == 6 && left >= Ipv6.HEADER_LENGTH && pkt.getUnsignedByte(at + 6) == Udp.PROTOCOL) {
            return Ipv6.HEADER_LENGTH;
        }
        return -1;
    }

    /**
     * The VXLAN or Geneve header at {@code offset}: checked, its tenant found and the security
     * binding enforced; on success the buffer's readable bytes are the inner frame.
     */
    boolean overlay(ByteBuf pkt, boolean geneve, int offset, int length, Result out, DropCounts drops) {
        if (length < Vxlan.HEADER_LENGTH) {
            drops.add(VtepDrop.TRUNCATED);
            return false;
        }
        int headerLength;
        int vni;
        Tenant tenant;
        boolean keysOnly = topology.keysOnly();
        if (geneve) {
            vni = Geneve.vni(pkt, offset);
            tenant = topology.tenantByVni(true, vni);
            // Structure first, then options against what this tenant knows: an unknown VNI
            // cannot vouch for any critical option (and without a config none is known).
            VtepDrop bad = Geneve.check(pkt, offset, length, tenant == null ? Geneve.OptionFilter.NONE : tenant);
            if (bad != null && !(bad == VtepDrop.GENEVE_CRITICAL_OPTION && tenant == null && !keysOnly)) {
                drops.add(bad);
                return false;
            }
            headerLength = Geneve.headerLength(pkt, offset);
        } else {
            VtepDrop bad = Vxlan.check(pkt, offset, length);
            if (bad != null) {
                drops.add(bad);
                return false;
            }
            vni = Vxlan.vni(pkt, offset);
            tenant = topology.tenantByVni(false, vni);
            headerLength = Vxlan.HEADER_LENGTH;
        }
        if (tenant == null && !keysOnly) {
            drops.add(DatapathDrop.UNKNOWN_VNI);
            return false;
        }
        if (out.spi < 0 && tenant != null && tenant.esp()) {
            drops.add(DatapathDrop.CLEARTEXT_REFUSED);
            return false;
        }
        if (length - headerLength < Ethernet.HEADER_LENGTH) {
            drops.add(DatapathDrop.RUNT_FRAME);
            return false;
        }
        pkt.setIndex(offset + headerLength, offset + length);
        out.tenant = tenant;
        out.vni = vni;
        out.geneve = geneve;
        out.tenantChecked = tenant != null;
        return true;
    }
}
