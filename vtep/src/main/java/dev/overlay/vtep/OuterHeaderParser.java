package dev.overlay.vtep;

import io.netty.buffer.ByteBuf;

/**
 * Receive-side parsing of Ethernet / [802.1Q] / IPv4 or IPv6 / [UDP]: bounds first, then the
 * fields, so any byte string yields a result or a drop reason and never an exception.
 * Each step narrows {@code end}, the first index past the data that the headers vouch for.
 */
final class OuterHeaderParser {
    /** More extension headers than this is an attack or a broken sender, not a tunnel. */
    private static final int MAX_IPV6_EXTENSIONS = 8;

    private OuterHeaderParser() {}

    static VtepDrop parse(ByteBuf pkt, OuterHeaders out, boolean verifyUdpChecksum) {
        out.clear();
        int at = pkt.readerIndex();
        int end = pkt.writerIndex();
        out.l2Offset = at;
        if (end - at < Ethernet.HEADER_LENGTH) {
            return VtepDrop.TRUNCATED;
        }
        int type = Ethernet.etherType(pkt, at);
        int l3 = at + Ethernet.HEADER_LENGTH;
        if (type == Ethernet.TYPE_VLAN || type == Ethernet.TYPE_QINQ) {
            // One tag, or an 802.1ad service tag followed by one customer tag.
            if (end - l3 < 4) {
                return VtepDrop.TRUNCATED;
            }
            out.outerVlan = pkt.getUnsignedShort(l3) & 0x0FFF;
            boolean qinq = type == Ethernet.TYPE_QINQ;
            type = pkt.getUnsignedShort(l3 + 2);
            l3 += 4;
            if (qinq && type == Ethernet.TYPE_VLAN) {
                if (end - l3 < 4) {
                    return VtepDrop.TRUNCATED;
                }
                type = pkt.getUnsignedShort(l3 + 2);
                l3 += 4;
            }
        }
        out.l3Offset = l3;
        VtepDrop drop;
        if (type == Ethernet.TYPE_IPV4) {
            drop = ipv4(pkt, out, l3, end);
        } else if (type == Ethernet.TYPE_IPV6) {
            drop = ipv6(pkt, out, l3, end);
        } else {
            return VtepDrop.NOT_IP;
        }
        if (drop != null || out.protocol != Udp.PROTOCOL) {
            return drop;
        }
        return udp(pkt, out, verifyUdpChecksum);
    }

    private static VtepDrop ipv4(ByteBuf pkt, OuterHeaders out, int l3, int end) {
        if (end - l3 < Ipv4.HEADER_LENGTH) {
            return VtepDrop.TRUNCATED;
        }
        int first = pkt.getUnsignedByte(l3);
        int headerLength = (first & 0x0F) * 4;
        if ((first >>> 4) != 4 || headerLength < Ipv4.HEADER_LENGTH) {
            return VtepDrop.BAD_IPV4_HEADER;
        }
        if (end - l3 < headerLength) {
            return VtepDrop.TRUNCATED;
        }
        if (!InternetChecksum.verify(pkt, l3, headerLength)) {
            return VtepDrop.BAD_IPV4_CHECKSUM;
        }
        int totalLength = pkt.getUnsignedShort(l3 + 2);
        if (totalLength < headerLength) {
            return VtepDrop.BAD_IP_LENGTH;
        }
        if (end - l3 < totalLength) {
            return VtepDrop.TRUNCATED;
        }
        // A longer capture is Ethernet padding of a short frame: not ours to read.
        int flags = pkt.getUnsignedShort(l3 + 6);
        if ((flags & (Ipv4.MORE_FRAGMENTS | Ipv4.OFFSET_MASK)) != 0) {
            return VtepDrop.FRAGMENT;
        }
        out.ipVersion = 4;
        out.hopLimit = pkt.getUnsignedByte(l3 + 8);
        out.protocol = pkt.getUnsignedByte(l3 + 9);
        out.srcAddressOffset = l3 + 12;
        out.dstAddressOffset = l3 + 16;
        out.l4Offset = l3 + headerLength;
        out.payloadOffset = out.l4Offset;
        out.payloadLength = totalLength - headerLength;
        return null;
    }

    private static VtepDrop ipv6(ByteBuf pkt, OuterHeaders out, int l3, int end) {
        if (end - l3 < Ipv6.HEADER_LENGTH) {
            return VtepDrop.TRUNCATED;
        }
        if ((pkt.getUnsignedByte(l3) >>> 4) != 6) {
            return VtepDrop.BAD_IPV6_HEADER;
        }
        int payloadLength = pkt.getUnsignedShort(l3 + 4);
        if (payloadLength == 0) {
            // Zero means a jumbogram (RFC 2675) or an empty packet: neither carries a tunnel.
            return VtepDrop.BAD_IP_LENGTH;
        }
        if (end - l3 - Ipv6.HEADER_LENGTH < payloadLength) {
            return VtepDrop.TRUNCATED;
        }
        int payloadEnd = l3 + Ipv6.HEADER_LENGTH + payloadLength;
        int next = pkt.getUnsignedByte(l3 + 6);
        int at = l3 + Ipv6.HEADER_LENGTH;
        // RFC 8200 section 4: extension headers are walked in order; a receiver does not act on
        // them here (the tunnel is not routed further), it only needs to find the upper layer.
        for (int count = 0; ; count++) {
            int length;
            if (next == Ipv6.NEXT_HOP_BY_HOP || next == Ipv6.NEXT_ROUTING
                    || next == Ipv6.NEXT_DESTINATION_OPTIONS) {
                if (next == Ipv6.NEXT_HOP_BY_HOP && count != 0) {
                    return VtepDrop.BAD_IPV6_EXTENSION; // RFC 8200 4.1: only immediately after the header
                }
                if (payloadEnd - at < 2) {
                    return VtepDrop.BAD_IPV6_EXTENSION;
                }
                length = (pkt.getUnsignedByte(at + 1) + 1) * 8;
            } else if (next == Ipv6.NEXT_FRAGMENT) {
                if (payloadEnd - at < 8) {
                    return VtepDrop.BAD_IPV6_EXTENSION;
                }
                // An atomic fragment (offset 0, M clear) is a whole packet (RFC 6946 section 4).
                if ((pkt.getUnsignedShort(at + 2) & 0xFFF9) != 0) {
                    return VtepDrop.FRAGMENT;
                }
                length = 8;
            } else if (next == Ipv6.NEXT_AUTHENTICATION) {
                if (payloadEnd - at < 2) {
                    return VtepDrop.BAD_IPV6_EXTENSION;
                }
                length = (pkt.getUnsignedByte(at + 1) + 2) * 4; // RFC 4302 section 2.2
            } else {
                break;
            }
            if (count >= MAX_IPV6_EXTENSIONS || payloadEnd - at < length) {
                return VtepDrop.BAD_IPV6_EXTENSION;
            }
            next = pkt.getUnsignedByte(at);
            at += length;
        }
        out.ipVersion = 6;
        out.hopLimit = pkt.getUnsignedByte(l3 + 7);
        out.protocol = next;
        out.srcAddressOffset = l3 + 8;
        out.dstAddressOffset = l3 + 24;
        out.l4Offset = at;
        out.payloadOffset = at;
        out.payloadLength = payloadEnd - at;
        return null;
    }

    private static VtepDrop udp(ByteBuf pkt, OuterHeaders out, boolean verify) {
        int l4 = out.l4Offset;
        int available = out.payloadLength;
        if (available < Udp.HEADER_LENGTH) {
            return VtepDrop.BAD_UDP_LENGTH;
        }
        int length = pkt.getUnsignedShort(l4 + 4);
        if (length < Udp.HEADER_LENGTH || length > available) {
            return VtepDrop.BAD_UDP_LENGTH;
        }
        int checksum = pkt.getUnsignedShort(l4 + 6);
        if (verify) {
            if (checksum == 0) {
                if (out.ipVersion == 6) {
                    return VtepDrop.UDP_ZERO_CHECKSUM;
                }
            } else {
                long sum = Udp.pseudoHeader(pkt, out.srcAddressOffset, out.dstAddressOffset,
                        out.addressLength(), length) + InternetChecksum.partial(pkt, l4, length);
                if (InternetChecksum.fold(sum) != 0xFFFF) {
                    return VtepDrop.BAD_UDP_CHECKSUM;
                }
            }
        }
        out.srcPort = pkt.getUnsignedShort(l4);
        out.dstPort = pkt.getUnsignedShort(l4 + 2);
        out.payloadOffset = l4 + Udp.HEADER_LENGTH;
        out.payloadLength = length - Udp.HEADER_LENGTH;
        return null;
    }
}
