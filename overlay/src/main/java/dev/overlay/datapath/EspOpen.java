package dev.overlay.datapath;

import dev.overlay.esp.EspDecrypt;
import dev.overlay.esp.EspDrop;
import dev.overlay.esp.EspResult;
import dev.overlay.vtep.OuterHeaders;
import io.netty.buffer.ByteBuf;

/**
 * Stages {@code esp-classify} and {@code esp-decrypt} of the rx path, shared by
 * {@link OverlayDecap} (which goes on to the overlay) and {@code pcap decrypt} (which stops here).
 *
 * <ol>
 *   <li>classify: IP protocol 50 is ESP (RFC 4303); UDP to esp-port is ESP in UDP (RFC 3948)
 *       unless it carries the non-ESP marker (section 2.2: a zero SPI is IKE) or is a NAT
 *       keepalive (section 2.3: the single byte 0xFF)</li>
 *   <li>SA lookup by SPI and by whether the packet is addressed to this gateway
 *       ({@link SaTable#inbound}: RFC 4301 section 4.1, SPI plus destination); for a captured
 *       packet, then among the SAs from outside the config by SPI and destination address
 *       ({@link SaTable#external})</li>
 *   <li>{@link EspDecrypt#open}: replay check, ICV, decryption, trailer, all in place</li>
 * </ol>
 *
 * Stateless apart from the config it was built from; the caller owns the buffer throughout.
 */
public final class EspOpen {
    private final SaTable sas;
    private final byte[] address;
    private final int espPort;
    /** Ports the external SAs' files give for their ESP in UDP (an SA behind NAT); usually none. */
    private final int[] moreEspPorts;

    public EspOpen(Topology topology, SaTable sas) {
        this.sas = sas;
        this.address = topology.gatewayAddress();
        this.espPort = topology.gateway().espPort();
        this.moreEspPorts = sas.externalEspInUdpPorts();
    }

    /**
     * Where the ESP header of a parsed packet starts, or -1 when the packet is not ESP. The ESP
     * packet then runs from there to {@code outer.payloadEnd()}.
     */
    public int espOffset(ByteBuf pkt, OuterHeaders outer) {
        if (outer.isEsp()) {
            return outer.payloadOffset;
        }
        if (outer.isUdp() && (outer.dstPort == espPort || moreEspPort(outer.dstPort))) {
            int offset = outer.payloadOffset;
            int length = outer.payloadLength;
            boolean keepalive = length == 1 && pkt.getUnsignedByte(offset) == 0xFF;
            boolean nonEsp = length >= 4 && pkt.getInt(offset) == 0;
            if (!keepalive && !nonEsp) {
                return offset;
            }
        }
        return -1;
    }

    /**
     * Opens the ESP packet at {@code offset} up to {@code outer.payloadEnd()}. On success returns
     * its SA, the buffer's readable bytes are the protected payload and {@code esp} holds the next
     * header and sequence number. On failure returns null with exactly one drop counted in
     * {@code drops} (and, once an SA was found, on the SA); the indices are then unspecified.
     */
    public SaTable.Inbound open(ByteBuf pkt, OuterHeaders outer, int offset, EspResult esp, DropCounts drops) {
        int end = outer.payloadEnd();
        if (end - offset < 8) {
            drops.add(EspDrop.TRUNCATED);
            return null;
        }
        int spi = EspDecrypt.spi(pkt, offset);
        SaTable.Inbound sa = sas.inbound(spi, outer.dstAddressEquals(pkt, address));
        if (sa == null) {
            sa = sas.external(spi, pkt, outer);
        }
        return open(pkt, offset, end, sa, esp, drops);
    }

    /**
     * As {@link #open(ByteBuf, OuterHeaders, int, EspResult, DropCounts)} for an ESP packet from
     * {@code offset} to {@code end} whose outer headers were already removed (a socket's payload):
     * {@code addressedToUs} is then known from the socket it arrived on.
     */
    public SaTable.Inbound open(ByteBuf pkt, int offset, int end, boolean addressedToUs, EspResult esp,
                                DropCounts drops) {
        if (end - offset < 8) {
            drops.add(EspDrop.TRUNCATED);
            return null;
        }
        return open(pkt, offset, end, sas.inbound(EspDecrypt.spi(pkt, offset), addressedToUs), esp, drops);
    }

    private static SaTable.Inbound open(ByteBuf pkt, int offset, int end, SaTable.Inbound sa, EspResult esp,
                                        DropCounts drops) {
        if (sa == null) {
            drops.add(EspDrop.UNKNOWN_SPI);
            return null;
        }
        pkt.setIndex(offset, end);
        EspDrop refused = EspDecrypt.open(sa.state(), pkt, esp);
        if (refused != null) {
            drops.add(refused);
            return null;
        }
        return sa;
    }

    private boolean moreEspPort(int port) {
        for (int p : moreEspPorts) {
            if (p == port) {
                return true;
            }
        }
        return false;
    }
}
