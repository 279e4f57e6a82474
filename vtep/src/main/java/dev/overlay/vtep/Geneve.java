package dev.overlay.vtep;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * The Geneve header and options (RFC 8926 section 3.4 and 3.5).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Ver|  Opt Len  |O|C|    Rsvd.  |          Protocol Type        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Virtual Network Identifier (VNI)       |    Reserved   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                                               |
 * ~                    Variable-Length Options                    ~
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * each option:
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Option Class         |      Type     |R|R|R| Length  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                  Variable-Length Option Data                  ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * Opt Len and option Length count 4-byte words. Version MUST be 0 and a receiver MUST drop
 * other versions. We carry Ethernet only (protocol 0x6558). The C bit tells a receiver that
 * critical options are present, but a sender may get it wrong, so receive walks every option
 * and drops on any unknown critical one (section 3.5: MUST drop).
 */
public final class Geneve {
    public static final int HEADER_LENGTH = 8;
    public static final int DEFAULT_PORT = 6081;
    public static final int MAX_VNI = 0xFF_FFFF;
    static final int FLAG_OAM = 0x80;
    static final int FLAG_CRITICAL = 0x40;

    /** Which critical options this endpoint understands. */
    @FunctionalInterface
    public interface OptionFilter {
        /** Understands no option: every critical option drops the packet. */
        OptionFilter NONE = (optionClass, type) -> false;

        boolean knows(int optionClass, int type);
    }

    /** Receives each option in place; {@code dataOffset} is an absolute buffer index. */
    @FunctionalInterface
    public interface OptionVisitor {
        void option(int optionClass, int type, ByteBuf buf, int dataOffset, int dataLength);
    }

    private Geneve() {}

    /** Writes the header and the option block before the reader index and moves it back. */
    public static void prepend(ByteBuf buf, int vni, GeneveOptions opts, boolean oam) {
        int length = HEADER_LENGTH + opts.length();
        Bounds.checkHeadroom(buf, length, "geneve");
        Bounds.checkRange(vni, 0, MAX_VNI, "vni");
        int at = buf.readerIndex() - length;
        int flags = (oam ? FLAG_OAM : 0) | (opts.critical() ? FLAG_CRITICAL : 0);
        // Ver 0 in the top two bits, then Opt Len in words.
        buf.setInt(at, ((opts.length() / 4) << 24) | (flags << 16)
                | Ethernet.TYPE_TRANS_ETHER_BRIDGING);
        buf.setInt(at + 4, vni << 8);
        opts.writeTo(buf, at + HEADER_LENGTH);
        buf.readerIndex(at);
    }

    /**
     * Null when {@code length} bytes at {@code offset} hold a header we accept, else why not:
     * version, option bounds, critical options not {@code known}, the O (control) bit, then the
     * protocol type.
     */
    public static VtepDrop check(ByteBuf buf, int offset, int length, OptionFilter known) {
        if (length < HEADER_LENGTH) {
            return VtepDrop.TRUNCATED;
        }
        if (version(buf, offset) != 0) {
            return VtepDrop.GENEVE_BAD_VERSION;
        }
        int headerLength = headerLength(buf, offset);
        if (headerLength > length) {
            return VtepDrop.GENEVE_BAD_OPTION_LENGTH;
        }
        int end = offset + headerLength;
        for (int at = offset + HEADER_LENGTH; at < end; ) {
            if (end - at < 4) {
                return VtepDrop.GENEVE_BAD_OPTION_LENGTH;
            }
            int optionLength = 4 + (buf.getUnsignedByte(at + 3) & 0x1F) * 4;
            if (end - at < optionLength) {
                return VtepDrop.GENEVE_BAD_OPTION_LENGTH;
            }
            int type = buf.getUnsignedByte(at + 2);
            if ((type & GeneveOption.CRITICAL) != 0 && !known.knows(buf.getUnsignedShort(at), type)) {
                return VtepDrop.GENEVE_CRITICAL_OPTION;
            }
            at += optionLength;
        }
        // RFC 8926 section 3.4: the O bit marks a control message between tunnel endpoints, whose
        // payload they MUST NOT forward. We run no Geneve control protocol, so it is dropped here.
        if (oam(buf, offset)) {
            return VtepDrop.GENEVE_CONTROL;
        }
        if (protocolType(buf, offset) != Ethernet.TYPE_TRANS_ETHER_BRIDGING) {
            return VtepDrop.GENEVE_BAD_PROTOCOL;
        }
        return null;
    }

    public static int version(ByteBuf buf, int offset) {
        return buf.getUnsignedByte(offset) >>> 6;
    }

    /** 8 plus the option block: where the inner frame starts, relative to {@code offset}. */
    public static int headerLength(ByteBuf buf, int offset) {
        return HEADER_LENGTH + (buf.getUnsignedByte(offset) & 0x3F) * 4;
    }

    public static boolean oam(ByteBuf buf, int offset) {
        return (buf.getUnsignedByte(offset + 1) & FLAG_OAM) != 0;
    }

    /** The header's C bit (which may disagree with the options: see the class comment). */
    public static boolean critical(ByteBuf buf, int offset) {
        return (buf.getUnsignedByte(offset + 1) & FLAG_CRITICAL) != 0;
    }

    public static int protocolType(ByteBuf buf, int offset) {
        return buf.getUnsignedShort(offset + 2);
    }

    public static int vni(ByteBuf buf, int offset) {
        return buf.getUnsignedMedium(offset + 4);
    }

    /**
     * Calls {@code visitor} for each option of the header at {@code offset}, in order, stopping
     * at the first option that runs past the block (which {@link #check} reports). No allocation.
     */
    public static void forEachOption(ByteBuf buf, int offset, OptionVisitor visitor) {
        int end = Math.min(offset + headerLength(buf, offset), buf.writerIndex());
        for (int at = offset + HEADER_LENGTH; end - at >= 4; ) {
            int dataLength = (buf.getUnsignedByte(at + 3) & 0x1F) * 4;
            if (end - at - 4 < dataLength) {
                return;
            }
            visitor.option(buf.getUnsignedShort(at), buf.getUnsignedByte(at + 2), buf, at + 4,
                    dataLength);
            at += 4 + dataLength;
        }
    }

    /** The options as records: allocates, for tools and tests. */
    public static List<GeneveOption> options(ByteBuf buf, int offset) {
        List<GeneveOption> list = new ArrayList<>();
        forEachOption(buf, offset, (optionClass, type, b, dataOffset, dataLength) -> {
            byte[] data = new byte[dataLength];
            b.getBytes(dataOffset, data);
            list.add(new GeneveOption(optionClass, type, data));
        });
        return list;
    }
}
