package dev.overlay.vtep;

import io.netty.buffer.ByteBuf;

/**
 * Ethernet II headers and 802.1Q tags, written in place before the reader index (the buffer
 * carries headroom) and removed by moving the reader index.
 *
 * <pre>
 *   untagged: | dst (6) | src (6) | ethertype (2) | payload
 *   tagged:   | dst (6) | src (6) | 0x8100 (2) | PCP DEI VID (2) | ethertype (2) | payload
 * </pre>
 */
public final class Ethernet {
    public static final int HEADER_LENGTH = 14;
    public static final int ADDRESSES_LENGTH = 12;
    public static final int VLAN_TAG_LENGTH = 4;
    public static final int TYPE_IPV4 = 0x0800;
    public static final int TYPE_ARP = 0x0806;
    public static final int TYPE_IPV6 = 0x86DD;
    /** IEEE 802.1Q customer tag. */
    public static final int TYPE_VLAN = 0x8100;
    /** IEEE 802.1ad service tag (QinQ outer tag). */
    public static final int TYPE_QINQ = 0x88A8;
    /** Transparent Ethernet Bridging: Geneve's protocol type for an Ethernet payload. */
    public static final int TYPE_TRANS_ETHER_BRIDGING = 0x6558;
    /** VID 4095 is reserved by IEEE 802.1Q; 0 means priority-tagged only. */
    public static final int MAX_VID = 4094;

    private Ethernet() {}

    /** Writes dst, src and ethertype in the 14 bytes before the reader index and moves it back. */
    public static void prepend(ByteBuf buf, long dst, long src, int etherType) {
        Bounds.checkHeadroom(buf, HEADER_LENGTH, "ethernet");
        int at = buf.readerIndex() - HEADER_LENGTH;
        MacAddress.write(buf, at, dst);
        MacAddress.write(buf, at + 6, src);
        buf.setShort(at + 12, etherType);
        buf.readerIndex(at);
    }

    public static long destination(ByteBuf frame, int offset) {
        return MacAddress.read(frame, offset);
    }

    public static long source(ByteBuf frame, int offset) {
        return MacAddress.read(frame, offset + 6);
    }

    /** The ethertype or tag protocol identifier at bytes 12..13 of the frame at {@code offset}. */
    public static int etherType(ByteBuf frame, int offset) {
        return frame.getUnsignedShort(offset + ADDRESSES_LENGTH);
    }

    private static boolean isTag(int type) {
        return type == TYPE_VLAN || type == TYPE_QINQ;
    }

    /** The VID of the outermost 802.1Q/802.1ad tag of the frame at the reader index, or -1. */
    public static int vlanOf(ByteBuf frame) {
        int at = frame.readerIndex();
        if (frame.readableBytes() < HEADER_LENGTH + VLAN_TAG_LENGTH || !isTag(etherType(frame, at))) {
            return -1;
        }
        return frame.getUnsignedShort(at + 14) & 0x0FFF;
    }

    /**
     * Removes the outermost tag in place: the 12 address bytes move 4 bytes forward and the reader
     * index advances, so nothing after the tag is copied. Does nothing to an untagged frame.
     */
    public static void removeVlanTag(ByteBuf frame) {
        if (vlanOf(frame) < 0) {
            return;
        }
        int at = frame.readerIndex();
        long head = frame.getLong(at);
        int tail = frame.getInt(at + 8);
        frame.setLong(at + VLAN_TAG_LENGTH, head);
        frame.setInt(at + VLAN_TAG_LENGTH + 8, tail);
        frame.readerIndex(at + VLAN_TAG_LENGTH);
    }

    /** Inserts an 802.1Q tag (PCP 0) after the addresses, using 4 bytes of headroom. */
    public static void insertVlanTag(ByteBuf frame, int vid) {
        Bounds.checkRange(vid, 0, MAX_VID, "vid");
        Bounds.checkHeadroom(frame, VLAN_TAG_LENGTH, "vlan tag");
        if (frame.readableBytes() < HEADER_LENGTH) {
            throw new IllegalArgumentException(
                    "frame length: " + frame.readableBytes() + " (expected: >= " + HEADER_LENGTH + ")");
        }
        int at = frame.readerIndex();
        long head = frame.getLong(at);
        int tail = frame.getInt(at + 8);
        int to = at - VLAN_TAG_LENGTH;
        frame.setLong(to, head);
        frame.setInt(to + 8, tail);
        frame.setShort(to + 12, TYPE_VLAN);
        frame.setShort(to + 14, vid);
        frame.readerIndex(to);
    }
}
