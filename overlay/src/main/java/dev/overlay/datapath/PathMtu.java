package dev.overlay.datapath;

import dev.overlay.vtep.Ethernet;
import dev.overlay.vtep.IcmpTooBig;
import dev.overlay.vtep.Ipv4;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Stage {@code pmtu-check}: what becomes of a tenant frame larger than its tenant's MTU, the
 * overlay being a link whose MTU is smaller than the 1500 bytes tenant hosts assume (RFC 4459
 * section 3 lists the choices a tunnel has; this is what Linux does for bridged vxlan and geneve
 * in {@code skb_tunnel_check_pmtu}, plus inner fragmentation where IPv4 allows it).
 *
 * <ol>
 *   <li>the frame fits: it goes on, untouched ({@link Verdict#FITS}; one length compare, the
 *       normal path)</li>
 *   <li>IPv4 with DF, or IPv6: the sender gets an ICMP Fragmentation Needed (RFC 1191) or an
 *       ICMPv6 Packet Too Big (RFC 8201) carrying the tenant MTU, and the frame is dropped
 *       ({@link Verdict#ICMP}); the errors RFC 1812 section 4.3.2.7 and RFC 4443 section 2.4 (e)
 *       forbid (about an ICMP error, a fragment that is not the first, from or to a multicast or
 *       broadcast address, from an unspecified or loopback one) are not sent
 *       ({@link Verdict#DROP})</li>
 *   <li>IPv4 without DF: the sender allowed fragmentation on the path, so the packet is cut into
 *       fragments that fit, as a router would (RFC 791; RFC 4459 section 3.1, "inner
 *       fragmentation"): {@link Verdict#FRAGMENT}, see {@link Ipv4Fragmenter}</li>
 *   <li>anything else (ARP, other ethertypes, malformed IP): dropped ({@link Verdict#DROP})</li>
 * </ol>
 *
 * Each 802.1Q tag still in the frame (the tenant's own tag is removed before this runs) is
 * encapsulated with it, so the MTU reported for a tagged packet is 4 bytes less per tag.
 * Which thread sends the error, and how often, is the caller's: the datapath decides, the
 * gateway delivers through the port the frame came from ({@code pcap encode} only counts).
 */
public final class PathMtu {
    /** What to do with a frame of a given tenant MTU. */
    public enum Verdict { FITS, ICMP, FRAGMENT, DROP }

    /** RFC 791: every IPv4 link carries 68-byte datagrams; a smaller MTU is never reported. */
    static final int IPV4_MIN_MTU = 68;
    static final int IPV6_MIN_MTU = 1280;
    private static final int MAX_TAGS = 2;

    private PathMtu() {
    }

    /** Whether the frame's readable bytes fit a tenant of MTU {@code mtu} once encapsulated. */
    public static boolean fits(ByteBuf frame, int mtu) {
        return frame.readableBytes() - Ethernet.HEADER_LENGTH <= mtu;
    }

    /** The verdict for the readable bytes of {@code frame} (untagged by its tenant's VLAN, if any). */
    public static Verdict check(ByteBuf frame, int mtu) {
        if (fits(frame, mtu)) {
            return Verdict.FITS;
        }
        int l3 = l3Offset(frame);
        if (l3 < 0) {
            return Verdict.DROP;
        }
        int limit = packetMtu(frame, l3, mtu);
        int type = frame.getUnsignedShort(l3 - 2);
        if (type == Ethernet.TYPE_IPV4) {
            return ipv4(frame, l3, limit);
        }
        if (type == Ethernet.TYPE_IPV6) {
            return ipv6(frame, l3, limit);
        }
        return Verdict.DROP;
    }

    /**
     * The ICMP error for a frame whose verdict was {@link Verdict#ICMP}, as an Ethernet frame to
     * the frame's sender with {@link Buffers#HEADROOM} before it; {@code vlanTci} as in
     * {@link IcmpTooBig#fragmentationNeeded}.
     */
    public static ByteBuf icmpReply(ByteBufAllocator alloc, ByteBuf frame, int mtu, int vlanTci) {
        int l3 = l3Offset(frame);
        int limit = packetMtu(frame, l3, mtu);
        if (frame.getUnsignedShort(l3 - 2) == Ethernet.TYPE_IPV4) {
            return IcmpTooBig.fragmentationNeeded(alloc, Buffers.HEADROOM, frame, l3, limit, vlanTci);
        }
        return IcmpTooBig.packetTooBig(alloc, Buffers.HEADROOM, frame, l3, limit, vlanTci);
    }

    /**
     * Cuts a frame whose verdict was {@link Verdict#FRAGMENT} into frames that fit, handed to
     * {@code out} in order ({@link Ipv4Fragmenter}); the frame stays the caller's.
     *
     * @return the number of fragments, or -1 when it could not be cut (nothing handed out)
     */
    public static int fragment(ByteBuf frame, int mtu, ByteBufAllocator alloc, java.util.function.Consumer<ByteBuf> out) {
        int l3 = l3Offset(frame);
        return Ipv4Fragmenter.fragment(frame, l3, packetMtu(frame, l3, mtu), alloc, out);
    }

    /** True when {@code frame} (verdict {@link Verdict#ICMP}) is IPv6, so its error is a Packet Too Big. */
    public static boolean isIpv6(ByteBuf frame) {
        int l3 = l3Offset(frame);
        return l3 >= 0 && frame.getUnsignedShort(l3 - 2) == Ethernet.TYPE_IPV6;
    }

    /**
     * Whether the segments a TCP super-frame (a GSO frame of a TAP or packet socket) is cut into
     * at {@code gsoSize} payload bytes pass {@link #check} as {@link Verdict#FITS} or
     * {@link Verdict#FRAGMENT}, so cutting it is worth it. False when they would be refused: the
     * caller then hands over the super-frame whole, which gets one ICMP and one drop, as the
     * kernel's {@code skb_gso_validate_network_len} path answers a GSO packet, instead of a
     * drop per segment. True as well for what is no TCP super-frame this can read (the
     * segmenter then refuses it).
     *
     * @param l4Offset where TCP starts (the virtio header's csum_start), or -1 to find it
     */
    public static boolean segmentsFit(ByteBuf superFrame, int l4Offset, int gsoSize, int mtu) {
        int base = superFrame.readerIndex();
        int l3 = l3Offset(superFrame);
        if (l3 < 0 || gsoSize <= 0) {
            return true;
        }
        int type = superFrame.getUnsignedShort(l3 - 2);
        int l4;
        if (type == Ethernet.TYPE_IPV4) {
            if (l3 + Ipv4.HEADER_LENGTH > superFrame.writerIndex()) {
                return true;
            }
            l4 = l4Offset >= 0 ? base + l4Offset : l3 + (superFrame.getUnsignedByte(l3) & 0x0F) * 4;
            if ((superFrame.getUnsignedShort(l3 + 6) & Ipv4.DONT_FRAGMENT) == 0) {
                return true; // each segment may be fragmented: RFC 791 lets the path do it
            }
        } else if (type == Ethernet.TYPE_IPV6) {
            l4 = l4Offset >= 0 ? base + l4Offset : l3 + 40;
        } else {
            return true;
        }
        if (l4 + 20 > superFrame.writerIndex()) {
            return true;
        }
        int tcpHeader = (superFrame.getUnsignedByte(l4 + 12) >> 4) * 4;
        int segmentPacket = l4 - l3 + tcpHeader + gsoSize;
        return segmentPacket <= packetMtu(superFrame, l3, mtu);
    }

    /** The largest IP packet of this frame that fits: the tenant MTU less 4 bytes per tag still in it. */
    static int packetMtu(ByteBuf frame, int l3, int mtu) {
        return mtu - (l3 - frame.readerIndex() - Ethernet.HEADER_LENGTH);
    }

    /** The absolute index of the IP header after at most two tags, or -1 for a frame too short. */
    static int l3Offset(ByteBuf frame) {
        int at = frame.readerIndex();
        int end = frame.writerIndex();
        int type = at + Ethernet.HEADER_LENGTH <= end ? Ethernet.etherType(frame, at) : -1;
        int l3 = at + Ethernet.HEADER_LENGTH;
        for (int tags = 0; (type == Ethernet.TYPE_VLAN || type == Ethernet.TYPE_QINQ) && tags < MAX_TAGS; tags++) {
            if (l3 + Ethernet.VLAN_TAG_LENGTH > end) {
                return -1;
            }
            type = frame.getUnsignedShort(l3 + 2);
            l3 += Ethernet.VLAN_TAG_LENGTH;
        }
        return type < 0 || l3 > end ? -1 : l3;
    }

    private static Verdict ipv4(ByteBuf frame, int l3, int limit) {
        int end = frame.writerIndex();
        if (l3 + Ipv4.HEADER_LENGTH > end || frame.getUnsignedByte(l3) >> 4 != 4) {
            return Verdict.DROP;
        }
        int headerLength = (frame.getUnsignedByte(l3) & 0x0F) * 4;
        int totalLength = frame.getUnsignedShort(l3 + 2);
        if (headerLength < Ipv4.HEADER_LENGTH || totalLength < headerLength || l3 + headerLength > end) {
            return Verdict.DROP;
        }
        int flags = frame.getUnsignedShort(l3 + 6);
        if ((flags & Ipv4.DONT_FRAGMENT) == 0) {
            // Room for the header and one 8-byte fragment block, and the whole datagram present.
            return limit >= headerLength + 8 && l3 + totalLength <= end ? Verdict.FRAGMENT : Verdict.DROP;
        }
        if (limit < IPV4_MIN_MTU || (flags & (Ipv4.MORE_FRAGMENTS | Ipv4.OFFSET_MASK)) != 0) {
            return Verdict.DROP;
        }
        int src = frame.getInt(l3 + 12);
        int dst = frame.getInt(l3 + 16);
        // RFC 1812 section 4.3.2.7 (and RFC 1122 3.2.2): no error about a datagram to a broadcast
        // or multicast address, or from an address that names no single host.
        if (multicastOrReserved(dst) || multicastOrReserved(src) || src >>> 24 == 0 || src >>> 24 == 127) {
            return Verdict.DROP;
        }
        if (frame.getUnsignedByte(l3 + 9) == IcmpTooBig.PROTOCOL_ICMP) {
            if (l3 + headerLength >= end || icmpError(frame.getUnsignedByte(l3 + headerLength))) {
                return Verdict.DROP;
            }
        }
        return Verdict.ICMP;
    }

    /** 224/4 multicast and 240/4, which holds the limited broadcast 255.255.255.255. */
    private static boolean multicastOrReserved(int address) {
        return (address >>> 28) >= 0xE;
    }

    /** ICMP types that are errors (RFC 792, RFC 1812 section 4.3.2.7): never answered with one. */
    private static boolean icmpError(int type) {
        return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
    }

    private static Verdict ipv6(ByteBuf frame, int l3, int limit) {
        int end = frame.writerIndex();
        if (l3 + 40 > end || frame.getUnsignedByte(l3) >> 4 != 6 || limit < IPV6_MIN_MTU) {
            return Verdict.DROP;
        }
        // RFC 4443 section 2.4 (e): nothing about a packet from an address that identifies no single
        // node; and no source to answer from for one sent to a multicast group, which this link
        // cannot speak for (a router would use its own unicast address).
        if (unspecifiedOrLoopback(frame, l3 + 8) || frame.getUnsignedByte(l3 + 8) == 0xFF
                || frame.getUnsignedByte(l3 + 24) == 0xFF) {
            return Verdict.DROP;
        }
        int next = frame.getUnsignedByte(l3 + 6);
        int at = l3 + 40;
        for (int i = 0; i < 8; i++) {
            if (next == IcmpTooBig.PROTOCOL_ICMPV6) {
                // An error (types 0-127) or a redirect is never answered with an error.
                if (at >= end) {
                    return Verdict.DROP;
                }
                int type = frame.getUnsignedByte(at);
                return type < 128 || type == 137 ? Verdict.DROP : Verdict.ICMP;
            }
            if (next == 44) { // fragment header: only the first fragment has the upper layer
                if (at + 8 > end) {
                    return Verdict.DROP;
                }
                if ((frame.getUnsignedShort(at + 2) & 0xFFF8) != 0) {
                    return Verdict.DROP;
                }
                next = frame.getUnsignedByte(at);
                at += 8;
            } else if (next == 0 || next == 43 || next == 60 || next == 51) {
                if (at + 2 > end) {
                    return Verdict.DROP;
                }
                int length = next == 51 ? (frame.getUnsignedByte(at + 1) + 2) * 4 : (frame.getUnsignedByte(at + 1) + 1) * 8;
                next = frame.getUnsignedByte(at);
                at += length;
            } else {
                return Verdict.ICMP;
            }
        }
        return Verdict.ICMP;
    }

    private static boolean unspecifiedOrLoopback(ByteBuf frame, int at) {
        if (frame.getLong(at) != 0 || frame.getInt(at + 8) != 0) {
            return false;
        }
        int last = frame.getInt(at + 12);
        return last == 0 || last == 1;
    }
}
