package dev.overlay.datapath;

import dev.overlay.vtep.InternetChecksum;
import dev.overlay.vtep.Ipv4;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.function.Consumer;

/**
 * IPv4 fragmentation of a tenant's packet that is larger than the tenant MTU and does not
 * forbid it (no DF): what a router does on a link of smaller MTU (RFC 791 section 3.2,
 * "fragmentation procedure"; RFC 4459 section 3.1, fragmenting the inner packet before
 * encapsulation, so the far end's tenant host reassembles and the underlay never fragments).
 *
 * <p>Each fragment is a frame of its own: the original Ethernet header and tags, then the IP
 * header with total length, MF (set on all but the last, and on the last too when the original
 * was itself a fragment with MF), fragment offset (in 8-byte units, continuing the original's)
 * and checksum; the first fragment keeps every option, the others only those whose copied flag
 * is set (RFC 791, "Options"), padded to a 4-byte boundary with End of Option List. Identification,
 * TTL, TOS and protocol stay the original's. Ethernet padding past the IP total length is not
 * carried. Fragments are fresh buffers with {@link Buffers#HEADROOM}; the input stays the caller's.
 */
public final class Ipv4Fragmenter {
    private static final int OPTION_END = 0;
    private static final int OPTION_NOP = 1;
    private static final int OPTION_COPIED = 0x80;

    private Ipv4Fragmenter() {
    }

    /**
     * Cuts the IPv4 packet at {@code l3} (absolute index) of {@code frame}'s readable bytes into
     * fragments of at most {@code maxPacket} bytes, handed to {@code out} in order.
     *
     * @return the number of fragments, or -1 when the packet cannot be fragmented (malformed
     *     options, no room for 8 payload bytes); nothing is handed out then
     */
    public static int fragment(ByteBuf frame, int l3, int maxPacket, ByteBufAllocator alloc, Consumer<ByteBuf> out) {
        int base = frame.readerIndex();
        int l2 = l3 - base;
        int headerLength = (frame.getUnsignedByte(l3) & 0x0F) * 4;
        int totalLength = frame.getUnsignedShort(l3 + 2);
        if (headerLength < Ipv4.HEADER_LENGTH || totalLength < headerLength || l3 + totalLength > frame.writerIndex()) {
            return -1;
        }
        byte[] copied = copiedOptions(frame, l3, headerLength);
        if (copied == null) {
            return -1;
        }
        int laterHeader = Ipv4.HEADER_LENGTH + copied.length;
        int firstBlock = (maxPacket - headerLength) & ~7;
        int laterBlock = (maxPacket - laterHeader) & ~7;
        if (firstBlock < 8 || laterBlock < 8) {
            return -1;
        }
        int flags = frame.getUnsignedShort(l3 + 6);
        boolean moreAfter = (flags & Ipv4.MORE_FRAGMENTS) != 0;
        int originOffset = (flags & Ipv4.OFFSET_MASK) * 8;
        int payload = totalLength - headerLength;
        if (payload == 0) {
            return -1;
        }
        int count = 0;
        for (int done = 0; done < payload; count++) {
            boolean first = done == 0;
            int header = first ? headerLength : laterHeader;
            int size = Math.min(first ? firstBlock : laterBlock, payload - done);
            boolean last = done + size == payload;
            ByteBuf f = alloc.buffer(Buffers.HEADROOM + l2 + header + size + Buffers.TAILROOM);
            f.setIndex(Buffers.HEADROOM, Buffers.HEADROOM);
            f.writeBytes(frame, base, l2);
            int ip = f.writerIndex();
            f.writeBytes(frame, l3, Ipv4.HEADER_LENGTH);
            if (first) {
                f.writeBytes(frame, l3 + Ipv4.HEADER_LENGTH, headerLength - Ipv4.HEADER_LENGTH);
            } else {
                f.writeBytes(copied);
            }
            f.writeBytes(frame, l3 + headerLength + done, size);
            f.setByte(ip, 0x40 | header / 4);
            f.setShort(ip + 2, header + size);
            int offset = (originOffset + done) / 8;
            f.setShort(ip + 6, (flags & Ipv4.DONT_FRAGMENT) | (last && !moreAfter ? 0 : Ipv4.MORE_FRAGMENTS) | offset);
            f.setShort(ip + 10, 0);
            f.setShort(ip + 10, InternetChecksum.checksum(f, ip, header));
            out.accept(f);
            done += size;
        }
        return count;
    }

    /**
     * The options a non-first fragment carries: those with the copied flag, padded with End of
     * Option List to a multiple of 4; null when the options are malformed.
     */
    private static byte[] copiedOptions(ByteBuf frame, int l3, int headerLength) {
        int at = l3 + Ipv4.HEADER_LENGTH;
        int end = l3 + headerLength;
        byte[] kept = new byte[headerLength - Ipv4.HEADER_LENGTH];
        int n = 0;
        while (at < end) {
            int type = frame.getUnsignedByte(at);
            if (type == OPTION_END) {
                break;
            }
            if (type == OPTION_NOP) {
                at++;
                continue;
            }
            if (at + 1 >= end) {
                return null;
            }
            int length = frame.getUnsignedByte(at + 1);
            if (length < 2 || at + length > end) {
                return null;
            }
            if ((type & OPTION_COPIED) != 0) {
                frame.getBytes(at, kept, n, length);
                n += length;
            }
            at += length;
        }
        byte[] padded = new byte[(n + 3) & ~3];
        System.arraycopy(kept, 0, padded, 0, n);
        return padded;
    }
}
