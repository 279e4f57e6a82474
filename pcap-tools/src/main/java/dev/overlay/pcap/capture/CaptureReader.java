package dev.overlay.pcap.capture;

import dev.overlay.gateway.port.Libpcap;
import java.io.EOFException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.concurrent.TimeoutException;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.Pcaps;

/**
 * Reads a pcap (microsecond or nanosecond) or pcapng capture one record at a time through
 * libpcap, so memory stays flat however large the file. Timestamps are always read at
 * nanosecond resolution; {@link #precision()} says what the file itself holds, so a writer can
 * keep it.
 *
 * <pre>{@code
 * try (CaptureReader in = CaptureReader.open(path)) {
 *   for (CapturedPacket p; (p = in.next()) != null; ) { ... }
 * }
 * }</pre>
 *
 * <p>Only Ethernet captures (LINKTYPE_ETHERNET) are accepted: the tools read and write tenant
 * and wire frames that start with an Ethernet header. A record cut short at the end of the file
 * (a capture copied while tcpdump was still writing) is reported after every complete record
 * before it has been delivered. Not thread-safe; one reader per thread.
 */
public final class CaptureReader implements AutoCloseable {
    private static final int DLT_EN10MB = 1;

    private final Path path;
    private final String name;
    private final CaptureHeader header;
    private final PcapHandle handle;
    private final Progress progress;
    /** Records delivered so far; the next record is number {@code packets + 1}. */
    private long packets;
    /** Estimated file bytes behind the records delivered, for the progress bar. */
    private long consumed;
    private boolean finished;
    private boolean closed;

    private CaptureReader(Path path, CaptureHeader header, PcapHandle handle, Progress progress) {
        this.path = path;
        this.name = path.toString();
        this.header = header;
        this.handle = handle;
        this.progress = progress;
        this.consumed = header.headerLength();
    }

    /** Opens {@code file}; never shows a progress bar. */
    public static CaptureReader open(Path file) throws CaptureException {
        return open(file, null);
    }

    /**
     * Opens {@code file} and, when stderr is a terminal and the file is large, shows a progress
     * bar named {@code task} on stderr until the reader is closed (see {@link Progress}).
     */
    public static CaptureReader openWithProgress(Path file, String task) throws CaptureException {
        return open(file, task);
    }

    private static CaptureReader open(Path file, String task) throws CaptureException {
        String name = file.toString();
        if (!Files.exists(file)) {
            throw new CaptureException(name + ": no such file");
        }
        if (Files.isDirectory(file)) {
            throw new CaptureException(name + ": is a directory, not a capture");
        }
        if (!Files.isReadable(file)) {
            throw new CaptureException(name + ": permission denied");
        }
        CaptureHeader header = CaptureHeader.read(file, name);
        Libpcap.prepare(CaptureException::new);
        PcapHandle handle;
        try {
            handle = Pcaps.openOffline(name, PcapHandle.TimestampPrecision.NANO);
        } catch (PcapNativeException e) {
            throw new CaptureException(name + ": " + withoutPath(e.getMessage(), name), e);
        } catch (LinkageError e) {
            throw Libpcap.notLoadable(e, CaptureException::new);
        }
        boolean ok = false;
        try {
            int dlt = handle.getDlt().value();
            if (dlt != DLT_EN10MB) {
                int shown = header.linkType() >= 0 ? header.linkType() : dlt;
                throw new CaptureException(name + ": link type " + shown + " (" + dltName(dlt) + ") is not Ethernet");
            }
            Progress progress = task == null ? Progress.none() : Progress.forFile(file, task);
            CaptureReader reader = new CaptureReader(file, header, handle, progress);
            ok = true;
            return reader;
        } finally {
            if (!ok) {
                handle.close();
            }
        }
    }

    /**
     * The next record, or null at the end of the capture.
     *
     * @throws CaptureException when the record is truncated or corrupt ("in.pcap: truncated at
     *     packet 1234"); every record before it was delivered, and later calls return null
     * @throws IllegalStateException after {@link #close()}
     */
    public CapturedPacket next() throws CaptureException {
        if (closed) {
            throw new IllegalStateException(name + ": reader closed");
        }
        if (finished) {
            return null;
        }
        byte[] bytes;
        try {
            bytes = handle.getNextRawPacketEx();
        } catch (EOFException e) {
            finished = true;
            progress.update(consumed);
            return null;
        } catch (PcapNativeException e) {
            finished = true;
            throw recordError(e);
        } catch (IllegalArgumentException e) {
            // Pcap4J turns the record's time into a java.sql.Timestamp, which refuses a sub-second
            // field of a second or more (a corrupt record, found by CaptureReaderFuzzTest).
            finished = true;
            throw new CaptureException(name + ": corrupt at packet " + (packets + 1)
                    + " (timestamp fraction of a second out of range)", e);
        } catch (TimeoutException | NotOpenException e) {
            throw new IllegalStateException(name + ": libpcap offline read failed: " + e, e);
        }
        Timestamp ts = handle.getTimestamp();
        long seconds = Math.floorDiv(ts.getTime(), 1000L);
        if (seconds < 0 && seconds >= Integer.MIN_VALUE) {
            // The pcap record's seconds are an unsigned 32-bit field (draft-ietf-opsawg-pcap section 5),
            // which Pcap4J hands over sign-extended: 2038 and later read as before 1970 (found by
            // CaptureReaderFuzzTest).
            seconds += 1L << 32;
        } else if (seconds < 0) {
            finished = true;
            throw new CaptureException(name + ": corrupt at packet " + (packets + 1) + " (timestamp before 1970)");
        }
        Integer originalLength = handle.getOriginalLength();
        packets++;
        consumed += header.pcapng()
                ? CaptureHeader.PCAPNG_EPB_OVERHEAD + ((bytes.length + 3) & ~3)
                : CaptureHeader.PCAP_RECORD_HEADER_LENGTH + bytes.length;
        progress.update(consumed);
        int wireLength = originalLength == null ? bytes.length : Math.max(originalLength, bytes.length);
        return new CapturedPacket(bytes, seconds, ts.getNanos(), wireLength);
    }

    /** The timestamp resolution the file holds: write output in it to carry timestamps exactly. */
    public TimestampPrecision precision() {
        return header.precision();
    }

    /** Whether the file is pcapng (else pcap). */
    public boolean isPcapng() {
        return header.pcapng();
    }

    /** The number of records delivered by {@link #next()} so far. */
    public long packetsRead() {
        return packets;
    }

    public Path path() {
        return path;
    }

    /** Releases the libpcap handle (and the progress bar). Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            handle.close();
        } finally {
            progress.close();
        }
    }

    private CaptureException recordError(PcapNativeException e) {
        String detail = e.getMessage() == null ? "" : e.getMessage().replace("Error occurred in pcap_next_ex(): ", "");
        long number = packets + 1;
        if (detail.contains("truncated")) {
            return new CaptureException(name + ": truncated at packet " + number, e);
        }
        return new CaptureException(name + ": corrupt at packet " + number + " (" + detail + ")", e);
    }

    private static String dltName(int dlt) {
        try {
            String text = Pcaps.dataLinkValToName(dlt);
            return text == null ? "unknown" : text;
        } catch (PcapNativeException e) {
            return "unknown";
        }
    }

    /** libpcap often starts its message with the path; the sentence already names the file. */
    private static String withoutPath(String message, String name) {
        if (message == null) {
            return "cannot be read";
        }
        return message.startsWith(name + ": ") ? message.substring(name.length() + 2) : message;
    }
}
