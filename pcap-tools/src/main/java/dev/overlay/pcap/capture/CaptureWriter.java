package dev.overlay.pcap.capture;

import dev.overlay.gateway.port.Libpcap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.Arrays;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapDumper;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.namednumber.DataLinkType;

/**
 * Writes a pcap capture with link type Ethernet through libpcap's dumper.
 *
 * <p>The precision is the file's: {@link TimestampPrecision#NANO} opens the dead handle with
 * {@code pcap_open_dead_with_tstamp_precision}, so libpcap writes the 0xa1b23c4d magic, and
 * Pcap4J's {@code dumpRaw} then puts nanoseconds in the record's sub-second field (it writes
 * microseconds for a MICRO handle). With MICRO, nanoseconds are truncated to microseconds, as
 * tcpdump does; write in the reader's {@link CaptureReader#precision()} to keep them exact.
 *
 * <p>Each record's original length equals its captured length. {@link #close()} flushes and
 * reports a failed flush (a full disk) as a {@link CaptureException}; stdio buffers the rest,
 * so a writer that is never closed loses its tail. Not thread-safe.
 */
public final class CaptureWriter implements AutoCloseable {
    /** The snap length written in the header: libpcap's maximum, larger than any frame we carry. */
    public static final int SNAPLEN = 262_144;
    /** pcap stores seconds as an unsigned 32-bit number (draft-ietf-opsawg-pcap section 5). */
    private static final long MAX_SECONDS = 0xffff_ffffL;

    private final String name;
    private final TimestampPrecision precision;
    private final PcapHandle handle;
    private final PcapDumper dumper;
    private long packets;
    private boolean closed;

    private CaptureWriter(String name, TimestampPrecision precision, PcapHandle handle, PcapDumper dumper) {
        this.name = name;
        this.precision = precision;
        this.handle = handle;
        this.dumper = dumper;
    }

    /** Creates (or truncates) {@code file} as an Ethernet pcap in {@code precision}. */
    public static CaptureWriter create(Path file, TimestampPrecision precision) throws CaptureException {
        if (precision == null) {
            throw new NullPointerException("precision");
        }
        String name = file.toString();
        Libpcap.prepare(CaptureException::new);
        PcapHandle handle;
        try {
            handle = Pcaps.openDead(DataLinkType.EN10MB, SNAPLEN, precision.toPcap4j());
        } catch (PcapNativeException e) {
            throw new CaptureException(name + ": cannot create (" + e.getMessage() + ")", e);
        } catch (LinkageError e) {
            throw Libpcap.notLoadable(e, CaptureException::new);
        }
        try {
            return new CaptureWriter(name, precision, handle, handle.dumpOpen(name));
        } catch (PcapNativeException | NotOpenException e) {
            handle.close();
            String detail = e.getMessage() == null ? "" : e.getMessage();
            if (detail.startsWith(name + ": ")) {
                detail = detail.substring(name.length() + 2);
            }
            throw new CaptureException(name + ": cannot create (" + detail + ")", e);
        }
    }

    /**
     * Appends one frame: {@code length} bytes of {@code data} from {@code offset}, captured at
     * {@code epochSeconds} + {@code nanos}.
     */
    public void write(byte[] data, int offset, int length, long epochSeconds, int nanos) {
        checkOffsetAndCount(data.length, offset, length);
        byte[] exact = offset == 0 && length == data.length ? data : Arrays.copyOfRange(data, offset, offset + length);
        dump(exact, epochSeconds, nanos);
    }

    /** Appends all of {@code frame}, captured at {@code epochSeconds} + {@code nanos}. */
    public void write(byte[] frame, long epochSeconds, int nanos) {
        dump(frame, epochSeconds, nanos);
    }

    /** Appends the readable bytes of {@code frame}; its indices and reference count are unchanged. */
    public void write(ByteBuf frame, long epochSeconds, int nanos) {
        // copy=false hands over the backing array itself when it is exactly the readable bytes.
        dump(ByteBufUtil.getBytes(frame, frame.readerIndex(), frame.readableBytes(), false), epochSeconds, nanos);
    }

    /** Appends {@code packet}'s bytes at its timestamp. */
    public void write(CapturedPacket packet) {
        dump(packet.bytes(), packet.epochSeconds(), packet.nanos());
    }

    public TimestampPrecision precision() {
        return precision;
    }

    /** The number of records written so far. */
    public long packetsWritten() {
        return packets;
    }

    /** Flushes and closes the file. Idempotent. */
    @Override
    public void close() throws CaptureException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            dumper.flush();
        } catch (PcapNativeException | NotOpenException e) {
            throw new CaptureException(name + ": write failed (" + e.getMessage() + ")", e);
        } finally {
            dumper.close();
            handle.close();
        }
    }

    private void dump(byte[] frame, long epochSeconds, int nanos) {
        if (closed) {
            throw new IllegalStateException(name + ": writer closed");
        }
        if (frame.length > SNAPLEN) {
            throw new IllegalArgumentException("length: " + frame.length + " (expected: <= " + SNAPLEN + ")");
        }
        if (epochSeconds < 0 || epochSeconds > MAX_SECONDS) {
            throw new IllegalArgumentException("epochSeconds: " + epochSeconds + " (expected: 0-" + MAX_SECONDS + ")");
        }
        if (nanos < 0 || nanos > 999_999_999) {
            throw new IllegalArgumentException("nanos: " + nanos + " (expected: 0-999999999)");
        }
        // Pcap4J takes seconds from getTime() / 1000 and the sub-second part from getNanos().
        Timestamp ts = new Timestamp(epochSeconds * 1000L);
        ts.setNanos(nanos);
        try {
            dumper.dumpRaw(frame, ts);
        } catch (NotOpenException e) {
            throw new IllegalStateException(name + ": dumper not open", e);
        }
        packets++;
    }

    private static void checkOffsetAndCount(int size, int offset, int count) {
        if ((offset | count) < 0 || offset > size || size - offset < count) {
            throw new IndexOutOfBoundsException("size=" + size + " offset=" + offset + " count=" + count);
        }
    }
}
