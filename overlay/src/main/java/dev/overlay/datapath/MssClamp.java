package dev.overlay.datapath;

import dev.overlay.vtep.Ethernet;
import dev.overlay.vtep.InternetChecksum;
import dev.overlay.vtep.Ipv4;
import io.netty.buffer.ByteBuf;

/**
 * Stage {@code mss-clamp}: the Maximum Segment Size option (RFC 9293 section 3.7.1) of a TCP SYN
 * or SYN-ACK lowered to what fits the tenant MTU, so both ends of a connection send segments the
 * overlay carries without relying on ICMP reaching them (RFC 2923 section 2.1's black holes),
 * as iptables' {@code TCPMSS --clamp-mss-to-pmtu} and VPP's {@code tcp-mss-clamping} do. Never
 * raised; no option is added to a SYN without one (RFC 9293 then means 536, which fits).
 *
 * <p>The TCP checksum is updated for the two changed bytes alone (RFC 1624 equation 3), so the
 * segment is not read again; an MSS field at an odd offset from the TCP header, where its bytes
 * fall into two checksum words, is summed byte-swapped (RFC 1071 section 2 (B)). IPv4 and IPv6
 * (after hop-by-hop, routing and destination options headers), untagged or behind up to two
 * 802.1Q tags; fragments are left alone. Reads only the headers of a frame that is not a SYN.
 */
public final class MssClamp {
    private static final int PROTOCOL_TCP = 6;
    private static final int SYN = 0x02;
    private static final int OPTION_END = 0;
    private static final int OPTION_NOP = 1;
    private static final int OPTION_MSS = 2;

    private MssClamp() {
    }

    /**
     * Lowers the MSS option of the frame's readable bytes to {@code mss4} (IPv4) or {@code mss6}
     * (IPv6) if it is a SYN whose MSS is larger; 0 leaves that family alone.
     *
     * @return true when the frame was rewritten
     */
    public static boolean clamp(ByteBuf frame, int mss4, int mss6) {
        int l3 = PathMtu.l3Offset(frame);
        if (l3 < 0) {
            return false;
        }
        int end = frame.writerIndex();
        int type = frame.getUnsignedShort(l3 - 2);
        int l4;
        int mss;
        if (type == Ethernet.TYPE_IPV4) {
            if (mss4 <= 0 || l3 + Ipv4.HEADER_LENGTH > end || frame.getUnsignedByte(l3 + 9) != PROTOCOL_TCP
                    || (frame.getUnsignedShort(l3 + 6) & Ipv4.OFFSET_MASK) != 0) {
                return false;
            }
            l4 = l3 + (frame.getUnsignedByte(l3) & 0x0F) * 4;
            mss = mss4;
        } else if (type == Ethernet.TYPE_IPV6) {
            if (mss6 <= 0) {
                return false;
            }
            l4 = ipv6Tcp(frame, l3, end);
            mss = mss6;
        } else {
            return false;
        }
        if (l4 < 0 || l4 + 20 > end || (frame.getUnsignedByte(l4 + 13) & SYN) == 0) {
            return false;
        }
        int optionsEnd = Math.min(end, l4 + (frame.getUnsignedByte(l4 + 12) >> 4) * 4);
        int at = l4 + 20;
        while (at < optionsEnd) {
            int kind = frame.getUnsignedByte(at);
            if (kind == OPTION_END) {
                return false;
            }
            if (kind == OPTION_NOP) {
                at++;
                continue;
            }
            if (at + 1 >= optionsEnd) {
                return false;
            }
            int length = frame.getUnsignedByte(at + 1);
            if (length < 2 || at + length > optionsEnd) {
                return false;
            }
            if (kind == OPTION_MSS && length == 4) {
                int old = frame.getUnsignedShort(at + 2);
                if (old <= mss) {
                    return false;
                }
                frame.setShort(at + 2, mss);
                boolean odd = ((at + 2 - l4) & 1) != 0;
                int checksum = frame.getUnsignedShort(l4 + 16);
                frame.setShort(l4 + 16, replace(checksum, odd ? swap(old) : old, odd ? swap(mss) : mss));
                return true;
            }
            at += length;
        }
        return false;
    }

    /** RFC 1624 equation 3: HC' = ~(~HC + ~m + m'), which never yields a checksum of -0. */
    static int replace(int checksum, int old, int now) {
        long sum = (~checksum & 0xFFFF) + (~old & 0xFFFF) + now;
        return ~InternetChecksum.fold(sum) & 0xFFFF;
    }

    private static int swap(int v) {
        return ((v & 0xFF) << 8) | (v >>> 8);
    }

    /** Where TCP starts after IPv6's options headers, or -1 (another protocol, a fragment, cut short). */
    private static int ipv6Tcp(ByteBuf frame, int l3, int end) {
        if (l3 + 40 > end) {
            return -1;
        }
        int next = frame.getUnsignedByte(l3 + 6);
        int at = l3 + 40;
        for (int i = 0; i < 8 && next != PROTOCOL_TCP; i++) {
            if ((next != 0 && next != 43 && next != 60) || at + 2 > end) {
                return -1;
            }
            next = frame.getUnsignedByte(at);
            at += (frame.getUnsignedByte(at + 1) + 1) * 8;
        }
        return next == PROTOCOL_TCP ? at : -1;
    }
}
