package dev.overlay.datapath;

import dev.overlay.config.GatewayConfig;
import dev.overlay.vtep.Ethernet;
import dev.overlay.vtep.Geneve;
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
 *   <li>ESP: decrypt with the SA of the SPI, then the protected UDP datagram (transport mode) or
 *       IP packet (tunnel mode) is classified again by its UDP port</li>
 *   <li>VXLAN or Geneve header checked, the tenant found by VNI, cleartext refused for esp tenants,
 *       the VNI checked against the SA's tenants</li>
 * </ol>
 *
 * On success the buffer's readable bytes are the inner frame and {@link Result} says whose it is.
 * On failure exactly one drop reason is counted; the caller keeps ownership of the buffer either way.
 */
public final class OverlayDecap {

    /** What a successful decapsulation found; reused for every packet by one thread. */
    public static final class Result {
        /** The tenant the inner frame belongs to. */
        public Tenant tenant;
        /** The SPI of the SA that protected it, or -1 for cleartext. */
        public long spi;
        /** Where the outer IP source address is in the buffer, for FDB learning by peer address. */
        public int outerSourceOffset;
        public int outerAddressLength;
    }

    private final Topology topology;
    private final GatewayConfig gateway;
    private final boolean verifyUdpChecksums;
    private final OuterHeaders outer = new OuterHeaders();

    /**
     * @param verifyUdpChecksums verify the outer UDP checksum; off for captures taken on a sending
     *     host, whose checksums the NIC had not yet filled in (tcpdump's "bad udp cksum")
     */
    public OverlayDecap(Topology topology, boolean verifyUdpChecksums) {
        this.topology = topology;
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
        out.outerSourceOffset = outer.srcAddressOffset;
        out.outerAddressLength = outer.addressLength();
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
     * The VXLAN or Geneve header at {@code offset}: checked, its tenant found and the security
     * binding enforced; on success the buffer's readable bytes are the inner frame.
     */
    boolean overlay(ByteBuf pkt, boolean geneve, int offset, int length, Result out, DropCounts drops) {
        if (length < Vxlan.HEADER_LENGTH) {
            drops.add(VtepDrop.TRUNCATED);
            return false;
        }
        int headerLength;
        Tenant tenant;
        if (geneve) {
            tenant = topology.tenantByVni(true, Geneve.vni(pkt, offset));
            // Structure first, then options against what this tenant knows: an unknown VNI
            // cannot vouch for any critical option.
            VtepDrop bad = Geneve.check(pkt, offset, length, tenant == null ? Geneve.OptionFilter.NONE : tenant);
            if (bad != null && !(bad == VtepDrop.GENEVE_CRITICAL_OPTION && tenant == null)) {
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
            tenant = topology.tenantByVni(false, Vxlan.vni(pkt, offset));
            headerLength = Vxlan.HEADER_LENGTH;
        }
        if (tenant == null) {
            drops.add(DatapathDrop.UNKNOWN_VNI);
            return false;
        }
        if (out.spi < 0 && tenant.esp()) {
            drops.add(DatapathDrop.CLEARTEXT_REFUSED);
            return false;
        }
        if (length - headerLength < Ethernet.HEADER_LENGTH) {
            drops.add(DatapathDrop.RUNT_FRAME);
            return false;
        }
        pkt.setIndex(offset + headerLength, offset + length);
        out.tenant = tenant;
        return true;
    }
}
