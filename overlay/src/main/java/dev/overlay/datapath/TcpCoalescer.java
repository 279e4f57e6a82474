package dev.overlay.datapath;

import dev.overlay.vtep.InternetChecksum;
import io.netty.buffer.ByteBuf;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Software TCP receive offload (the kernel's GRO, done by the gateway for a TAP device): the
 * in-order MSS-sized segments of one TCP flow that a worker delivers in one batch are held and
 * handed on as one "super-frame", which a TAP device opened with IFF_VNET_HDR takes whole with a
 * GSO virtio header, so the tenant's stack receives one 64 KB skb instead of ~45 frames.
 *
 * <p>A segment joins a train when, as the kernel's tcp_gro_receive requires: Ethernet, IPv4
 * without options or fragmentation (RFC 791) or IPv6 with TCP as its first next header (RFC 8200),
 * no VLAN tag; the same addresses, ports, TOS or traffic class and flow label, TTL or hop limit;
 * the same TCP header length, acknowledgment number, window and options, flags ACK (and PSH,
 * which ends the train), never SYN, RST, URG, FIN, ECE or CWR (RFC 9293 section 3.1, RFC 3168);
 * its sequence number the train's next (RFC 9293 section 3.4); every segment the first one's
 * payload size but the last, which may be shorter and ends the train; at most 65,535 bytes of IP
 * length. Each segment's IPv4 header checksum and TCP checksum are checked first: a segment that
 * fails is handed on alone, untouched, for the tenant's stack to drop and count.
 *
 * <p>On {@link #flush()} a train of two or more becomes: the first frame with its IPv4 total
 * length and header checksum (or IPv6 payload length) and PSH rewritten for the whole train and
 * its TCP checksum field holding the pseudo-header's sum (a partial checksum: the virtio header's
 * NEEDS_CSUM asks the kernel to finish it, or to resegment it); the others with their readers
 * moved past their headers. Frames that are not TCP data, or break a train, pass through in order.
 * Up to {@link #FLOWS} flows are held at once; a frame of a held flow that cannot join flushes its
 * train first, so no flow is reordered. Not thread-safe: one per sending thread.
 *
 * <p>Each offered frame's headers (at most {@link #MAX_HEADERS} bytes) are copied once into an
 * array and every check and comparison reads that copy, and a train keeps its first frame's
 * headers the same way: a ByteBuf accessor checks bounds and the reference count on each call,
 * which on the ~60 header fields a segment needs cost more than the copy (CoalescerBenchmark).
 */
public final class TcpCoalescer {
    /** Trains held at once (flows interleaved in a batch, as with iperf3 -P 4). */
    public static final int FLOWS = 8;
    /** Segments in one train at most: 64 KB of 1,408-byte frames is 46. */
    public static final int MAX_SEGMENTS = 64;
    private static final int ETH = 14;
    /** The most header bytes a frame that joins can have: Ethernet, IPv6, TCP with 40 bytes of options. */
    static final int MAX_HEADERS = ETH + 40 + 60;
    private static final int PROTOCOL_TCP = 6;
    private static final VarHandle U16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle U32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final int ACK = 0x10;
    private static final int PSH = 0x08;

    /** Where frames and trains go, in order; each buffer given is the output's to release. */
    public interface Output {
        /** A frame as it was offered (a lone segment, or anything that is no TCP data). */
        void frame(ByteBuf frame);

        /**
         * A super-frame: {@code parts[0]}'s readable bytes hold the headers and the first payload,
         * the others' only payload. {@code gsoSize} is the payload of each segment but the last;
         * the TCP checksum at {@code l4 + 16} is partial (the pseudo-header's sum).
         */
        void train(ByteBuf[] parts, int count, boolean v6, int headerLength, int gsoSize, int l4);
    }

    private final Output out;
    private final Train[] trains = new Train[FLOWS];
    private int held;
    /** The offered frame's first bytes: its headers, if it has any we use. */
    private final byte[] scratch = new byte[MAX_HEADERS];

    public TcpCoalescer(Output out) {
        this.out = out;
        for (int i = 0; i < FLOWS; i++) {
            trains[i] = new Train();
        }
    }

    private static final class Train {
        final ByteBuf[] parts = new ByteBuf[MAX_SEGMENTS];
        /** The first frame's headers as offered: what every other frame must match. */
        final byte[] head = new byte[MAX_HEADERS];
        int count;
        boolean v6;
        int l4;
        int headers;
        int gsoSize;
        int payload;
        long nextSeq;
        boolean closed;
    }

    /** Holds {@code frame} in a train, or hands it (after its flow's held train) to the output. */
    public void offer(ByteBuf frame) {
        byte[] h = scratch;
        int length = frame.readableBytes();
        int n = Math.min(length, MAX_HEADERS);
        frame.getBytes(frame.readerIndex(), h, 0, n);
        int payload = candidate(frame, h, length);
        Train match = null;
        for (int i = 0; i < held; i++) {
            if (sameFlow(trains[i], h, n)) {
                match = trains[i];
                break;
            }
        }
        if (payload <= 0) {
            if (match != null) {
                emit(match);
            } else if (held > 0 && payload < 0) {
                flush(); // not parsed as TCP: it may belong to any held flow
            }
            out.frame(frame);
            return;
        }
        if (match != null && joins(match, h, length, payload)) {
            match.parts[match.count++] = frame;
            match.payload += payload;
            match.nextSeq = (match.nextSeq + payload) & 0xFFFFFFFFL;
            match.closed = payload < match.gsoSize || (h[match.l4 + 13] & PSH) != 0 || match.count == MAX_SEGMENTS;
            return;
        }
        if (match != null) {
            emit(match);
        } else if (held == FLOWS) {
            emit(trains[0]);
        }
        Train t = trains[held++];
        t.v6 = u16(h, 12) == 0x86DD;
        t.l4 = t.v6 ? ETH + 40 : ETH + 20;
        t.headers = t.l4 + (u8(h, t.l4 + 12) >> 4) * 4;
        System.arraycopy(h, 0, t.head, 0, t.headers);
        t.gsoSize = payload;
        t.payload = payload;
        t.nextSeq = (u32(h, t.l4 + 4) + payload) & 0xFFFFFFFFL;
        t.closed = (h[t.l4 + 13] & PSH) != 0;
        t.parts[0] = frame;
        t.count = 1;
    }

    /** Hands every held train to the output (end of a batch). */
    public void flush() {
        while (held > 0) {
            emit(trains[0]);
        }
    }

    /** Frames held now. */
    public int held() {
        int n = 0;
        for (int i = 0; i < held; i++) {
            n += trains[i].count;
        }
        return n;
    }

    /**
     * The TCP payload length of a frame that may join a train, 0 for TCP that may not, -1 for
     * anything else. {@code h}: the frame's first min(length, MAX_HEADERS) bytes.
     */
    static int candidate(ByteBuf f, byte[] h, int length) {
        if (length < ETH + 40) {
            return -1;
        }
        int etherType = u16(h, 12);
        int l4;
        long pseudo;
        if (etherType == 0x0800) {
            if (u8(h, ETH) != 0x45 || u8(h, ETH + 9) != PROTOCOL_TCP) {
                return -1;
            }
            if (u16(h, ETH + 2) != length - ETH || (u16(h, ETH + 6) & 0x3FFF) != 0
                    || InternetChecksum.fold(InternetChecksum.partial(h, ETH, 20)) != 0xFFFF) {
                return 0; // padded, fragmented or damaged: passed on as it is
            }
            l4 = ETH + 20;
            pseudo = InternetChecksum.partial(h, ETH + 12, 8);
        } else if (etherType == 0x86DD) {
            if (u8(h, ETH) >> 4 != 6 || u8(h, ETH + 6) != PROTOCOL_TCP) {
                return -1;
            }
            if (u16(h, ETH + 4) != length - ETH - 40) {
                return 0;
            }
            l4 = ETH + 40;
            pseudo = InternetChecksum.partial(h, ETH + 8, 32);
        } else {
            return -1;
        }
        if (length < l4 + 20) {
            return 0; // no room for a TCP header
        }
        int tcpLength = (u8(h, l4 + 12) >> 4) * 4;
        int payload = length - l4 - tcpLength;
        int flags = u8(h, l4 + 13);
        if (tcpLength < 20 || payload <= 0 || (flags & ~PSH) != ACK) {
            return 0;
        }
        long sum = pseudo + PROTOCOL_TCP + (length - l4) + InternetChecksum.partial(f, f.readerIndex() + l4, length - l4);
        return InternetChecksum.fold(sum) == 0xFFFF ? payload : 0;
    }

    /** Same addresses and ports (a frame that is no IP/TCP never matches); {@code n} bytes of {@code h} are the frame's. */
    private static boolean sameFlow(Train t, byte[] h, int n) {
        byte[] a = t.head;
        if (n < t.l4 + 4 || h[12] != a[12] || h[13] != a[13]) {
            return false;
        }
        int addresses = t.v6 ? ETH + 8 : ETH + 12;
        int end = addresses + (t.v6 ? 32 : 8);
        return u8(h, ETH + (t.v6 ? 6 : 9)) == PROTOCOL_TCP
                && Arrays.equals(a, addresses, end, h, addresses, end) && i32(a, t.l4) == i32(h, t.l4);
    }

    /** Everything but lengths, checksums, IPv4 ID, sequence and PSH equal; in order; sizes fit. */
    private static boolean joins(Train t, byte[] h, int length, int payload) {
        if (t.closed || payload > t.gsoSize || t.headers + t.payload + payload - ETH > 65_535 + (t.v6 ? 40 : 0)) {
            return false;
        }
        if (length - payload != t.headers || u32(h, t.l4 + 4) != t.nextSeq) {
            return false;
        }
        byte[] a = t.head;
        int l4 = t.l4;
        boolean ip = t.v6
                ? i32(a, ETH) == i32(h, ETH) && i16(a, ETH + 6) == i16(h, ETH + 6)
                : i16(a, ETH) == i16(h, ETH) && i32(a, ETH + 6) == i32(h, ETH + 6);
        return ip && Arrays.equals(a, 0, ETH, h, 0, ETH)
                && i32(a, l4 + 8) == i32(h, l4 + 8) // acknowledgment number
                && a[l4 + 12] == h[l4 + 12]
                && ((a[l4 + 13] ^ h[l4 + 13]) & ~PSH) == 0
                && i16(a, l4 + 14) == i16(h, l4 + 14) // window
                && Arrays.equals(a, l4 + 20, t.headers, h, l4 + 20, t.headers); // options
    }

    private static int u8(byte[] h, int i) {
        return h[i] & 0xFF;
    }

    private static short i16(byte[] h, int i) {
        return (short) U16.get(h, i);
    }

    private static int u16(byte[] h, int i) {
        return i16(h, i) & 0xFFFF;
    }

    private static int i32(byte[] h, int i) {
        return (int) U32.get(h, i);
    }

    private static long u32(byte[] h, int i) {
        return i32(h, i) & 0xFFFF_FFFFL;
    }

    /** Hands train {@code t} on (rewritten when it holds more than one frame) and removes it. */
    private void emit(Train t) {
        if (t.count == 1) {
            out.frame(t.parts[0]);
        } else {
            ByteBuf h = t.parts[0];
            int a = h.readerIndex();
            int tcpTotal = t.headers - t.l4 + t.payload;
            long pseudo;
            if (t.v6) {
                h.setShort(a + ETH + 4, tcpTotal);
                pseudo = InternetChecksum.partial(h, a + ETH + 8, 32);
            } else {
                h.setShort(a + ETH + 2, t.headers - ETH + t.payload);
                h.setShort(a + ETH + 10, 0);
                h.setShort(a + ETH + 10, InternetChecksum.checksum(h, a + ETH, 20));
                pseudo = InternetChecksum.partial(h, a + ETH + 12, 8);
            }
            ByteBuf last = t.parts[t.count - 1];
            int pshLast = last.getUnsignedByte(last.readerIndex() + t.l4 + 13) & PSH;
            h.setByte(a + t.l4 + 13, (h.getUnsignedByte(a + t.l4 + 13) & ~PSH) | pshLast);
            // NEEDS_CSUM: the field holds the pseudo-header's sum, not complemented (the kernel's
            // tcp_v4_send_check for CHECKSUM_PARTIAL), over the whole train's TCP length.
            h.setShort(a + t.l4 + 16, InternetChecksum.fold(pseudo + PROTOCOL_TCP + tcpTotal));
            for (int i = 1; i < t.count; i++) {
                ByteBuf p = t.parts[i];
                p.readerIndex(p.readerIndex() + t.headers);
            }
            out.train(t.parts, t.count, t.v6, t.headers, t.gsoSize, t.l4);
        }
        java.util.Arrays.fill(t.parts, 0, t.count, null);
        t.count = 0;
        // Keep the held trains at [0, held): move the last into the freed slot.
        int index = indexOf(t);
        held--;
        trains[index] = trains[held];
        trains[held] = t;
    }

    private int indexOf(Train t) {
        for (int i = 0; i < held; i++) {
            if (trains[i] == t) {
                return i;
            }
        }
        throw new IllegalStateException("train not held");
    }
}
