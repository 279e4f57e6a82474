package dev.overlay.pcap;

import dev.overlay.datapath.DatapathDrop;
import dev.overlay.datapath.DropCounts;
import dev.overlay.datapath.EspOpen;
import dev.overlay.datapath.SaTable;
import dev.overlay.datapath.Topology;
import dev.overlay.esp.EspResult;
import dev.overlay.vtep.Ethernet;
import dev.overlay.vtep.InternetChecksum;
import dev.overlay.vtep.OuterHeaders;
import dev.overlay.vtep.VtepDrop;
import io.netty.buffer.ByteBuf;

/**
 * What {@code pcap decrypt} does to one packet: ESP removed, nothing else touched.
 *
 * <ol>
 *   <li>parse the outer headers; a packet that is not IP, or not ESP ({@link EspOpen#espOffset}),
 *       is left as it is</li>
 *   <li>open the ESP packet with the SA of its SPI ({@link EspOpen}: replay check, ICV, decrypt)</li>
 *   <li>transport mode (RFC 4303 section 3.1.1): the outer Ethernet and IP headers (with any IPv6
 *       extension headers) are moved up against the payload; the UDP 4500 header of ESP in UDP
 *       goes (RFC 3948 section 3.2), the protocol or last next header becomes the ESP next
 *       header, and the IPv4 total length and checksum or the IPv6 payload length are
 *       rewritten</li>
 *   <li>tunnel mode (section 3.1.2): the outer IP header goes; the outer Ethernet header (with its
 *       802.1Q tags) is moved up against the inner IP packet and its type set to the inner
 *       version. TFC padding after the inner packet (section 2.4) is cut off</li>
 * </ol>
 *
 * One instance per thread; it allocates only when a header is longer than any seen before.
 */
final class EspRemoval {
    /** What became of a packet. */
    enum Outcome {
        /** Not ESP: to be copied unchanged. */
        NOT_ESP,
        /** ESP removed: the buffer's readable bytes are the new frame. */
        DECRYPTED,
        /** ESP that could not be opened: counted in the drops. */
        DROPPED
    }

    private static final int IPPROTO_IPIP = 4;
    private static final int IPPROTO_IPV6 = 41;

    private final EspOpen espOpen;
    private final OuterHeaders outer = new OuterHeaders();
    private final EspResult esp = new EspResult();
    private byte[] scratch = new byte[128];

    EspRemoval(Topology topology, SaTable sas) {
        this.espOpen = new EspOpen(topology, sas);
    }

    /** The frame in {@code pkt}'s readable bytes, decrypted in place when it is ESP. */
    Outcome decrypt(ByteBuf pkt, DropCounts drops) {
        // Checksums are not the point here: a capture taken on the sender has UDP checksums the
        // NIC had not filled in yet, and ESP's ICV covers what matters.
        if (OuterHeaders.parse(pkt, outer, false) != null) {
            return Outcome.NOT_ESP;
        }
        int offset = espOpen.espOffset(pkt, outer);
        if (offset < 0) {
            return Outcome.NOT_ESP;
        }
        SaTable.Inbound sa = espOpen.open(pkt, outer, offset, esp, drops);
        if (sa == null) {
            return Outcome.DROPPED;
        }
        if (sa.tunnel(esp.nextHeader) ? tunnel(pkt, drops) : transport(pkt)) {
            return Outcome.DECRYPTED;
        }
        return Outcome.DROPPED;
    }

    private boolean transport(ByteBuf pkt) {
        int l3 = outer.l3Offset;
        int ipHeaders = outer.l4Offset - l3;
        int payload = pkt.readableBytes();
        int start = moveUp(pkt, outer.l2Offset, outer.l4Offset - outer.l2Offset);
        int ip = start + (l3 - outer.l2Offset);
        if (outer.ipVersion == 4) {
            pkt.setByte(ip + 9, esp.nextHeader);
            pkt.setShort(ip + 2, ipHeaders + payload);
            pkt.setShort(ip + 10, 0);
            pkt.setShort(ip + 10, InternetChecksum.checksum(pkt, ip, ipHeaders));
        } else {
            pkt.setByte(lastNextHeader(pkt, ip, ip + ipHeaders), esp.nextHeader);
            pkt.setShort(ip + 4, ipHeaders - 40 + payload);
        }
        return true;
    }

    private boolean tunnel(ByteBuf pkt, DropCounts drops) {
        int at = pkt.readerIndex();
        int left = pkt.readableBytes();
        int version = left == 0 ? 0 : pkt.getUnsignedByte(at) >>> 4;
        int length;
        int type;
        if (esp.nextHeader == IPPROTO_IPIP && version == 4 && left >= 20) {
            length = pkt.getUnsignedShort(at + 2);
            type = Ethernet.TYPE_IPV4;
        } else if (esp.nextHeader == IPPROTO_IPV6 && version == 6 && left >= 40) {
            length = 40 + pkt.getUnsignedShort(at + 4);
            type = Ethernet.TYPE_IPV6;
        } else {
            drops.add(DatapathDrop.BAD_NEXT_HEADER);
            return false;
        }
        if (length > left) {
            drops.add(VtepDrop.BAD_IP_LENGTH);
            return false;
        }
        pkt.writerIndex(at + length);
        int l2Length = outer.l3Offset - outer.l2Offset;
        int start = moveUp(pkt, outer.l2Offset, l2Length);
        // The last EtherType before the IP header (after any 802.1Q tags) names the inner packet.
        pkt.setShort(start + l2Length - 2, type);
        return true;
    }

    /**
     * Copies {@code length} header bytes from {@code from} to just before the reader index and
     * moves the reader index there; returns the new start.
     */
    private int moveUp(ByteBuf pkt, int from, int length) {
        if (scratch.length < length) {
            scratch = new byte[length];
        }
        pkt.getBytes(from, scratch, 0, length);
        int start = pkt.readerIndex() - length;
        pkt.setBytes(start, scratch, 0, length);
        pkt.readerIndex(start);
        return start;
    }

    /**
     * The offset of the next-header field that named ESP or UDP: the IPv6 header's own, or that of
     * the last extension header (RFC 8200 section 4). The parser has already checked the chain.
     */
    private static int lastNextHeader(ByteBuf pkt, int ip, int end) {
        int field = ip + 6;
        int next = pkt.getUnsignedByte(field);
        int at = ip + 40;
        while (at < end) {
            field = at;
            int length = next == 44 ? 8 // fragment
                    : next == 51 ? (pkt.getUnsignedByte(at + 1) + 2) * 4 // AH, RFC 4302 section 2.2
                    : (pkt.getUnsignedByte(at + 1) + 1) * 8;
            next = pkt.getUnsignedByte(at);
            at += length;
        }
        return field;
    }
}
