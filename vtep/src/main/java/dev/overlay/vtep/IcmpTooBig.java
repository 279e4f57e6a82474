package dev.overlay.vtep;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * The two "packet too big" errors of path MTU discovery, built as the Ethernet frame a bridged
 * tunnel sends back to the sender of an oversized packet: from the packet's destination (MACs
 * and IP addresses swapped), so the sender's stack takes it as the answer of the path, as
 * Linux's bridged vxlan and geneve do ({@code iptunnel_pmtud_build_icmp}, Linux 5.9).
 *
 * <pre>
 * IPv4, RFC 792 and RFC 1191 section 4 (type 3 Destination Unreachable, code 4 Fragmentation Needed):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Type = 3    |   Code = 4    |           Checksum            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           unused = 0          |         Next-Hop MTU          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |      Internet Header + 64 bits of Original Data Datagram      |
 *
 * IPv6, RFC 4443 section 3.2 (type 2 Packet Too Big):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Type = 2    |   Code = 0    |           Checksum            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                             MTU                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    As much of invoking packet as possible without the ICMPv6  |
 * |    packet exceeding the minimum IPv6 MTU                      |
 * </pre>
 *
 * The IPv4 quote is as much of the original datagram as keeps the error within 576 bytes (RFC
 * 1812 section 4.3.2.3; RFC 1191 needs only the header and 8 bytes, but the more a sender gets,
 * the better it matches the error to a socket); the IPv6 quote fills the error to 1280 bytes
 * (RFC 4443 section 2.4 (c)). Deciding whether an error may be sent at all is the caller's
 * (RFC 1812 section 4.3.2.7, RFC 4443 section 2.4 (e)).
 */
public final class IcmpTooBig {
    public static final int PROTOCOL_ICMP = 1;
    public static final int PROTOCOL_ICMPV6 = 58;
    public static final int TYPE_DESTINATION_UNREACHABLE = 3;
    public static final int CODE_FRAGMENTATION_NEEDED = 4;
    public static final int TYPE_PACKET_TOO_BIG = 2;
    /** RFC 1812 section 4.3.2.3: an ICMPv4 error is at most 576 bytes long. */
    public static final int MAX_ICMP_ERROR = 576;
    private static final int ICMP_HEADER = 8;

    private IcmpTooBig() {}

    /**
     * An ICMP Fragmentation Needed for the IPv4 packet at {@code l3} of {@code frame} (readable
     * bytes: its Ethernet header, any tags, then the packet), in a new buffer with
     * {@code headroom} before it.
     *
     * @param nextHopMtu the MTU the sender must use (RFC 1191 section 4)
     * @param vlanTci an 802.1Q tag to insert after the MAC addresses (the tag the port's frame
     *     arrived with and that was removed before this was called), or -1
     */
    public static ByteBuf fragmentationNeeded(ByteBufAllocator alloc, int headroom, ByteBuf frame, int l3,
                                              int nextHopMtu, int vlanTci) {
        Bounds.checkRange(nextHopMtu, 68, 0xFFFF, "next-hop mtu");
        int quote = quoteLength(frame, l3, frame.getUnsignedShort(l3 + 2), MAX_ICMP_ERROR - Ipv4.HEADER_LENGTH - ICMP_HEADER);
        ByteBuf out = ethernet(alloc, headroom, frame, l3, vlanTci, Ipv4.HEADER_LENGTH + ICMP_HEADER + quote);
        int ip = out.writerIndex();
        int totalLength = Ipv4.HEADER_LENGTH + ICMP_HEADER + quote;
        out.writeInt(0x4500_0000 | totalLength);
        out.writeInt(Ipv4.DONT_FRAGMENT); // ID 0 for an atomic datagram (RFC 6864 section 4.1)
        out.writeInt((Ipv4.DEFAULT_TTL << 24) | (PROTOCOL_ICMP << 16));
        out.writeBytes(frame, l3 + 16, 4); // source: the original destination
        out.writeBytes(frame, l3 + 12, 4); // destination: the original source
        out.setShort(ip + 10, InternetChecksum.checksum(out, ip, Ipv4.HEADER_LENGTH));
        int icmp = out.writerIndex();
        out.writeInt((TYPE_DESTINATION_UNREACHABLE << 24) | (CODE_FRAGMENTATION_NEEDED << 16));
        out.writeInt(nextHopMtu); // unused 16 bits of zero, then the next-hop MTU
        out.writeBytes(frame, l3, quote);
        out.setShort(icmp + 2, InternetChecksum.checksum(out, icmp, ICMP_HEADER + quote));
        return out;
    }

    /**
     * An ICMPv6 Packet Too Big for the IPv6 packet at {@code l3} of {@code frame}, as
     * {@link #fragmentationNeeded} otherwise.
     *
     * @param mtu the MTU the sender must use (RFC 8201 section 4); at least 1280
     */
    public static ByteBuf packetTooBig(ByteBufAllocator alloc, int headroom, ByteBuf frame, int l3, int mtu,
                                       int vlanTci) {
        Bounds.checkRange(mtu, 1280, Integer.MAX_VALUE, "mtu");
        int quote = quoteLength(frame, l3, Ipv6.HEADER_LENGTH + frame.getUnsignedShort(l3 + 4),
                1280 - Ipv6.HEADER_LENGTH - ICMP_HEADER);
        int payloadLength = ICMP_HEADER + quote;
        ByteBuf out = ethernet(alloc, headroom, frame, l3, vlanTci, Ipv6.HEADER_LENGTH + payloadLength);
        out.writeInt(0x6000_0000);
        out.writeInt((payloadLength << 16) | (PROTOCOL_ICMPV6 << 8) | Ipv6.DEFAULT_HOP_LIMIT);
        int addresses = out.writerIndex();
        out.writeBytes(frame, l3 + 24, 16); // source: the original destination
        out.writeBytes(frame, l3 + 8, 16);  // destination: the original source
        int icmp = out.writerIndex();
        out.writeInt(TYPE_PACKET_TOO_BIG << 24);
        out.writeInt(mtu);
        out.writeBytes(frame, l3, quote);
        // RFC 4443 section 2.3: the checksum covers the pseudo-header of RFC 8200 section 8.1.
        long sum = InternetChecksum.partial(out, addresses, 32) + payloadLength + PROTOCOL_ICMPV6
                + InternetChecksum.partial(out, icmp, payloadLength);
        out.setShort(icmp + 2, ~InternetChecksum.fold(sum) & 0xFFFF);
        return out;
    }

    /** The bytes of the original packet to quote: its length (or what the frame holds), at most {@code max}. */
    private static int quoteLength(ByteBuf frame, int l3, int packetLength, int max) {
        int available = frame.writerIndex() - l3;
        return Math.min(max, Math.min(available, Math.max(packetLength, 0)));
    }

    /**
     * A new buffer holding the reply's Ethernet header: the frame's with source and destination
     * swapped, its tags kept, and {@code vlanTci} inserted first when not -1.
     */
    private static ByteBuf ethernet(ByteBufAllocator alloc, int headroom, ByteBuf frame, int l3, int vlanTci,
                                    int l3Length) {
        int at = frame.readerIndex();
        int l2 = l3 - at;
        if (l2 < Ethernet.HEADER_LENGTH) {
            throw new IllegalArgumentException("l3: " + l2 + " bytes after the frame's start (expected: >= 14)");
        }
        int length = l2 + (vlanTci >= 0 ? Ethernet.VLAN_TAG_LENGTH : 0) + l3Length;
        ByteBuf out = alloc.directBuffer(headroom + length);
        out.setIndex(headroom, headroom);
        out.writeBytes(frame, at + 6, 6);
        out.writeBytes(frame, at, 6);
        if (vlanTci >= 0) {
            out.writeShort(Ethernet.TYPE_VLAN);
            out.writeShort(vlanTci);
        }
        out.writeBytes(frame, at + Ethernet.ADDRESSES_LENGTH, l2 - Ethernet.ADDRESSES_LENGTH);
        return out;
    }
}
