package dev.overlay.pcap.capture;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the first bytes of a capture file say, read before libpcap sees the file. libpcap knows
 * the same things but says them in its own words ("unknown file format"), folds every
 * precision into the one it was asked for, and reports a pcapng section's resolution nowhere;
 * reading the header ourselves gives the user one clear sentence and lets the writer keep the
 * input's precision.
 *
 * @param pcapng true for pcapng, false for pcap
 * @param precision the finest timestamp resolution the header announces
 * @param linkType the LINKTYPE_ value of the file (pcap) or of its first interface (pcapng);
 *     -1 if no interface was found in the part of the file read here
 * @param headerLength bytes before the first packet record (pcapng: up to the last interface
 *     block seen), for the progress estimate
 */
record CaptureHeader(boolean pcapng, TimestampPrecision precision, int linkType, int headerLength) {
    /** pcap file header (draft-ietf-opsawg-pcap section 4): magic, version, 2 reserved, snaplen, linktype. */
    static final int PCAP_HEADER_LENGTH = 24;
    /** pcap record header (section 5): seconds, sub-seconds, captured length, original length. */
    static final int PCAP_RECORD_HEADER_LENGTH = 16;
    /** pcapng Enhanced Packet Block overhead: type, length, interface, 2x timestamp, 2x length, trailing length. */
    static final int PCAPNG_EPB_OVERHEAD = 32;

    private static final int PCAP_MAGIC_MICRO = 0xa1b2c3d4;
    private static final int PCAP_MAGIC_NANO = 0xa1b23c4d;
    /** pcapng Section Header Block type: the same read in either byte order (draft section 4.1). */
    private static final int PCAPNG_SHB = 0x0a0d0d0a;
    private static final int PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
    private static final int PCAPNG_SHB_MIN_LENGTH = 28;
    private static final int PCAPNG_IDB = 0x00000001;
    private static final int PCAPNG_IDB_MIN_LENGTH = 20;
    private static final int IF_TSRESOL = 9;
    /** How much of the file's start is examined for interface blocks; they normally come first. */
    private static final int SCAN_LIMIT = 64 * 1024;

    /** Reads the header of {@code file}; {@code name} is how messages call the file. */
    static CaptureHeader read(Path file, String name) throws CaptureException {
        byte[] start;
        long size;
        try (InputStream in = Files.newInputStream(file)) {
            size = Files.size(file);
            start = in.readNBytes(SCAN_LIMIT);
        } catch (IOException e) {
            throw new CaptureException(name + ": cannot read (" + e.getMessage() + ")", e);
        }
        if (size == 0) {
            throw new CaptureException(name + ": empty file, not a pcap or pcapng capture");
        }
        if (start.length < 4) {
            throw new CaptureException(
                    name + (isMagicPrefix(start) ? ": truncated capture header" : ": not a pcap or pcapng capture"));
        }
        ByteBuffer buf = ByteBuffer.wrap(start).order(ByteOrder.BIG_ENDIAN);
        int magic = buf.getInt(0);
        if (magic == PCAPNG_SHB) {
            return pcapng(buf, size, name);
        }
        TimestampPrecision precision = pcapPrecision(magic);
        if (precision == null) {
            buf.order(ByteOrder.LITTLE_ENDIAN);
            precision = pcapPrecision(buf.getInt(0));
        }
        if (precision == null) {
            throw new CaptureException(name + ": not a pcap or pcapng capture");
        }
        if (start.length < PCAP_HEADER_LENGTH) {
            throw new CaptureException(name + ": truncated capture header");
        }
        // LinkType and additional information: the link type is the low 16 bits (section 4).
        int linkType = buf.getInt(20) & 0xffff;
        return new CaptureHeader(false, precision, linkType, PCAP_HEADER_LENGTH);
    }

    private static TimestampPrecision pcapPrecision(int magic) {
        return switch (magic) {
            case PCAP_MAGIC_MICRO -> TimestampPrecision.MICRO;
            case PCAP_MAGIC_NANO -> TimestampPrecision.NANO;
            default -> null;
        };
    }

    private static CaptureHeader pcapng(ByteBuffer buf, long size, String name) throws CaptureException {
        int have = buf.capacity();
        if (have < 12) {
            throw new CaptureException(name + ": truncated capture header");
        }
        // The byte-order magic after the block length says how every later field is written.
        buf.order(ByteOrder.BIG_ENDIAN);
        if (buf.getInt(8) != PCAPNG_BYTE_ORDER_MAGIC) {
            buf.order(ByteOrder.LITTLE_ENDIAN);
            if (buf.getInt(8) != PCAPNG_BYTE_ORDER_MAGIC) {
                throw new CaptureException(name + ": not a pcap or pcapng capture");
            }
        }
        long shbLength = buf.getInt(4) & 0xffffffffL;
        if (shbLength < PCAPNG_SHB_MIN_LENGTH || shbLength % 4 != 0) {
            throw new CaptureException(name + ": corrupt capture header (section header block length " + shbLength + ")");
        }
        if (shbLength > size) {
            throw new CaptureException(name + ": truncated capture header");
        }
        TimestampPrecision precision = TimestampPrecision.MICRO;
        int linkType = -1;
        long pos = shbLength;
        long headerEnd = pos;
        boolean sawInterface = false;
        // Walk the blocks after the section header until the first packet: interface blocks (there
        // may be several, each with its own resolution) usually all come before it.
        while (pos + 8 <= have) {
            int type = buf.getInt((int) pos);
            long length = buf.getInt((int) pos + 4) & 0xffffffffL;
            if (length < 12 || length % 4 != 0 || type == PCAPNG_SHB) {
                break;
            }
            if (type != PCAPNG_IDB) {
                if (type == 2 || type == 3 || type == 6) { // Packet, Simple Packet, Enhanced Packet
                    break;
                }
                pos += length;
                continue;
            }
            if (pos + length > size) {
                throw new CaptureException(name + ": truncated capture header");
            }
            if (pos + length > have || length < PCAPNG_IDB_MIN_LENGTH) {
                break;
            }
            if (!sawInterface) {
                linkType = buf.getShort((int) pos + 8) & 0xffff;
                sawInterface = true;
            }
            if (finerThanMicro(buf, (int) pos + 16, (int) (pos + length - 4))) {
                precision = TimestampPrecision.NANO;
            }
            pos += length;
            headerEnd = pos;
        }
        if (!sawInterface && size <= have && pos >= size) {
            // A section header and nothing after it: libpcap needs an interface to read any packet.
            throw new CaptureException(name + ": truncated capture header");
        }
        return new CaptureHeader(true, precision, linkType, (int) Math.min(headerEnd, Integer.MAX_VALUE));
    }

    /**
     * Whether the interface options between {@code from} and {@code to} hold an {@code if_tsresol}
     * finer than a microsecond. if_tsresol (draft section 4.2): high bit clear, 10^-v seconds;
     * high bit set, 2^-v seconds (2^-20 is already finer than 10^-6).
     */
    private static boolean finerThanMicro(ByteBuffer buf, int from, int to) {
        int pos = from;
        while (pos + 4 <= to) {
            int code = buf.getShort(pos) & 0xffff;
            int length = buf.getShort(pos + 2) & 0xffff;
            if (code == 0) { // opt_endofopt
                return false;
            }
            if (code == IF_TSRESOL && length >= 1 && pos + 5 <= to) {
                int v = buf.get(pos + 4) & 0xff;
                return (v & 0x80) == 0 ? v > 6 : (v & 0x7f) >= 20;
            }
            pos += 4 + ((length + 3) & ~3);
        }
        return false;
    }

    /** Whether a short file could be the start of a capture, so the honest word is "truncated". */
    private static boolean isMagicPrefix(byte[] start) {
        for (int magic : new int[] {PCAP_MAGIC_MICRO, PCAP_MAGIC_NANO, PCAPNG_SHB}) {
            byte[] be = ByteBuffer.allocate(4).putInt(magic).array();
            byte[] le = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(magic).array();
            if (startsWith(be, start) || startsWith(le, start)) {
                return true;
            }
        }
        return false;
    }

    private static boolean startsWith(byte[] whole, byte[] prefix) {
        for (int i = 0; i < prefix.length; i++) {
            if (whole[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
