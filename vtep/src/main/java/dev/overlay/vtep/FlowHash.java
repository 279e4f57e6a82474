package dev.overlay.vtep;

import io.netty.buffer.ByteBuf;

/**
 * The hash of an inner frame's flow, for the outer UDP source port (RFC 7348 section 5: "a hash
 * of fields from the inner packet") and the outer IPv6 flow label (RFC 6438), so underlay ECMP
 * and receive-side scaling spread tunnels by inner flow while one flow keeps one path.
 *
 * <p>Fields: the 5-tuple for IPv4/IPv6 with TCP, UDP or SCTP; the addresses and protocol for
 * other IP traffic and for fragments (ports are absent from non-first fragments, and all
 * fragments of a flow must stay together); the MAC addresses and ethertype otherwise. One
 * 802.1Q tag is skipped. Murmur3's 32-bit block mix and finalizer with a fixed seed: the same
 * flow hashes the same in every run, so {@code pcap encode} output is reproducible.
 */
public final class FlowHash {
    public static final int MIN_SOURCE_PORT = 49152;
    public static final int MAX_SOURCE_PORT = 65535;
    private static final int SEED = 0x6F76_6C79;
    private static final int TCP = 6;
    private static final int UDP = 17;
    private static final int SCTP = 132;

    private FlowHash() {}

    public static int hash(ByteBuf frame, int offset, int length) {
        int end = offset + length;
        int h = SEED;
        if (length < Ethernet.HEADER_LENGTH) {
            return finish(mix(h, length));
        }
        int l3 = networkOffset(frame, offset, end);
        int type = frame.getUnsignedShort(l3 - 2);
        if (type == Ethernet.TYPE_IPV4 && end - l3 >= Ipv4.HEADER_LENGTH) {
            int protocol = frame.getUnsignedByte(l3 + 9);
            h = mix(h, frame.getInt(l3 + 12));
            h = mix(h, frame.getInt(l3 + 16));
            int l4 = ipv4Ports(frame, l3, end, protocol);
            if (l4 >= 0) {
                h = mix(h, frame.getInt(l4));
            }
            return finish(mix(h, protocol));
        }
        if (type == Ethernet.TYPE_IPV6 && end - l3 >= Ipv6.HEADER_LENGTH) {
            int next = frame.getUnsignedByte(l3 + 6);
            for (int i = 8; i < 40; i += 4) {
                h = mix(h, frame.getInt(l3 + i));
            }
            int l4 = l3 + Ipv6.HEADER_LENGTH;
            if (hasPorts(next) && end - l4 >= 4) {
                h = mix(h, frame.getInt(l4));
            }
            return finish(mix(h, next));
        }
        return macs(h, Ethernet.destination(frame, offset), Ethernet.source(frame, offset), type);
    }

    /**
     * A flow's hash that its replies share: {@link #hash} with the two ends (address and port)
     * put in a fixed order first. For choices both directions of a conversation should agree on
     * without talking, such as which of a tunnel's SAs carries it (so that a flow and its
     * replies are sealed and opened by one worker at each end).
     */
    public static int symmetric(ByteBuf frame, int offset, int length) {
        int end = offset + length;
        int h = SEED;
        if (length < Ethernet.HEADER_LENGTH) {
            return finish(mix(h, length));
        }
        int l3 = networkOffset(frame, offset, end);
        int type = frame.getUnsignedShort(l3 - 2);
        if (type == Ethernet.TYPE_IPV4 && end - l3 >= Ipv4.HEADER_LENGTH) {
            int protocol = frame.getUnsignedByte(l3 + 9);
            int a = frame.getInt(l3 + 12);
            int b = frame.getInt(l3 + 16);
            int l4 = ipv4Ports(frame, l3, end, protocol);
            int ports = l4 >= 0 ? frame.getInt(l4) : 0;
            int pa = ports >>> 16;
            int pb = ports & 0xFFFF;
            int order = a != b ? Integer.compareUnsigned(a, b) : Integer.compare(pa, pb);
            if (order > 0) {
                h = mix(mix(h, b), a);
                h = mix(h, pb << 16 | pa);
            } else {
                h = mix(mix(h, a), b);
                h = mix(h, pa << 16 | pb);
            }
            return finish(mix(h, protocol));
        }
        if (type == Ethernet.TYPE_IPV6 && end - l3 >= Ipv6.HEADER_LENGTH) {
            int next = frame.getUnsignedByte(l3 + 6);
            int order = 0;
            for (int i = 8; i < 24 && order == 0; i += 4) {
                order = Integer.compareUnsigned(frame.getInt(l3 + i), frame.getInt(l3 + i + 16));
            }
            int l4 = l3 + Ipv6.HEADER_LENGTH;
            int ports = hasPorts(next) && end - l4 >= 4 ? frame.getInt(l4) : 0;
            int pa = ports >>> 16;
            int pb = ports & 0xFFFF;
            if (order == 0) {
                order = Integer.compare(pa, pb);
            }
            int first = order > 0 ? 24 : 8;
            int second = order > 0 ? 8 : 24;
            for (int i = 0; i < 16; i += 4) {
                h = mix(h, frame.getInt(l3 + first + i));
            }
            for (int i = 0; i < 16; i += 4) {
                h = mix(h, frame.getInt(l3 + second + i));
            }
            h = mix(h, order > 0 ? pb << 16 | pa : pa << 16 | pb);
            return finish(mix(h, next));
        }
        long dst = Ethernet.destination(frame, offset);
        long src = Ethernet.source(frame, offset);
        return macs(h, Math.min(dst, src), Math.max(dst, src), type);
    }

    /** A frame that is neither IPv4 nor IPv6 hashes on two MACs (48 bits in a long each) and its EtherType. */
    private static int macs(int h, long first, long second, int type) {
        h = mix(h, (int) (first >>> 32));
        h = mix(h, (int) first);
        h = mix(h, (int) (second >>> 32));
        h = mix(h, (int) second);
        return finish(mix(h, type));
    }

    /** Where the network header starts: after the Ethernet header and one 802.1Q or 802.1ad tag, if any; its EtherType is the two bytes before. */
    private static int networkOffset(ByteBuf frame, int offset, int end) {
        int type = Ethernet.etherType(frame, offset);
        int l3 = offset + Ethernet.HEADER_LENGTH;
        if ((type == Ethernet.TYPE_VLAN || type == Ethernet.TYPE_QINQ) && end - l3 >= 4) {
            l3 += 4;
        }
        return l3;
    }

    /** Where an IPv4 packet's ports are (its transport header), or -1: a fragment, a protocol without ports, or too short. */
    private static int ipv4Ports(ByteBuf frame, int l3, int end, int protocol) {
        boolean fragment = (frame.getUnsignedShort(l3 + 6) & (Ipv4.MORE_FRAGMENTS | Ipv4.OFFSET_MASK)) != 0;
        int l4 = l3 + (frame.getUnsignedByte(l3) & 0x0F) * 4;
        return !fragment && hasPorts(protocol) && end - l4 >= 4 ? l4 : -1;
    }

    private static boolean hasPorts(int protocol) {
        return protocol == TCP || protocol == UDP || protocol == SCTP;
    }

    /** The outer UDP source port: 49152..65535, the dynamic range (RFC 6335, RFC 7348 sec. 5). */
    public static int sourcePort(int hash) {
        return MIN_SOURCE_PORT + (hash >>> 18);
    }

    /** A non-zero 20-bit flow label (zero would mean "unlabelled", RFC 6437). */
    public static int ipv6FlowLabel(int hash) {
        int label = hash & Ipv6.MAX_FLOW_LABEL;
        return label == 0 ? 1 : label;
    }

    private static int mix(int h, int k) {
        k *= 0xCC9E_2D51;
        k = Integer.rotateLeft(k, 15);
        k *= 0x1B87_3593;
        h ^= k;
        h = Integer.rotateLeft(h, 13);
        return h * 5 + 0xE654_6B64;
    }

    private static int finish(int h) {
        h ^= h >>> 16;
        h *= 0x85EB_CA6B;
        h ^= h >>> 13;
        h *= 0xC2B2_AE35;
        return h ^ (h >>> 16);
    }
}
