package dev.overlay.pcap;

import dev.overlay.cli.UserException;
import dev.overlay.pcap.capture.CaptureException;
import dev.overlay.pcap.capture.CaptureReader;
import dev.overlay.pcap.capture.CaptureWriter;
import dev.overlay.pcap.capture.CapturedPacket;
import dev.overlay.pcap.capture.TimestampPrecision;
import java.io.PrintWriter;
import java.nio.file.Path;

/**
 * Capture I/O for the commands: a capture that cannot be read at all, or an output that cannot be
 * written, is one sentence and exit 1. A capture cut short after some packets is reported after
 * those packets were processed, with the summary, also exit 1.
 */
final class Captures {
    private Captures() {
    }

    /** Receives each packet of the input, in order. */
    @FunctionalInterface
    interface PacketHandler {
        void handle(CapturedPacket packet);
    }

    /** Receives each packet of the input with the output capture its results go to. */
    @FunctionalInterface
    interface PacketRewriter {
        void handle(CapturedPacket packet, CaptureWriter writer);
    }

    /**
     * Reads {@code --in} through {@code handler} ({@link #each}) and returns the exit status.
     * {@code task} names the progress bar.
     */
    static int read(Options options, String task, Summary summary, PrintWriter err, PacketHandler handler) {
        try (CaptureReader reader = open(options.in, task)) {
            return each(reader, summary, options.strict, err, handler);
        }
    }

    /**
     * Reads {@code --in} through {@code handler} ({@link #each}), which writes to {@code out}: a
     * capture with the input's timestamp precision, closed after the summary line. Returns the
     * exit status.
     */
    static int rewrite(Options options, Path out, String task, Summary summary, PrintWriter err,
                       PacketRewriter handler) {
        try (CaptureReader reader = open(options.in, task)) {
            CaptureWriter writer = create(out, reader.precision());
            try {
                return each(reader, summary, options.strict, err, packet -> handler.handle(packet, writer));
            } finally {
                close(writer);
            }
        }
    }

    private static CaptureReader open(Path in, String task) {
        try {
            return CaptureReader.openWithProgress(in, task);
        } catch (CaptureException e) {
            throw new UserException(UserException.UNREADABLE_INPUT, e.getMessage(), e);
        }
    }

    private static CaptureWriter create(Path out, TimestampPrecision precision) {
        try {
            return CaptureWriter.create(out, precision);
        } catch (CaptureException e) {
            throw new UserException(UserException.UNREADABLE_INPUT, e.getMessage(), e);
        }
    }

    /**
     * Feeds every packet of {@code reader} to {@code handler}, then prints the summary line.
     * Returns the exit status: 0, 3 under {@code strict} with drops, 1 when the capture was cut short.
     */
    private static int each(CaptureReader reader, Summary summary, boolean strict, PrintWriter err, PacketHandler handler) {
        String failure = null;
        try {
            CapturedPacket packet;
            while ((packet = reader.next()) != null) {
                summary.in++;
                handler.handle(packet);
            }
        } catch (CaptureException e) {
            failure = e.getMessage();
        }
        String note = summary.note.get();
        if (note != null) {
            err.println(note);
        }
        err.println(summary.line());
        if (failure != null) {
            err.println("overlay: " + failure);
            return UserException.UNREADABLE_INPUT;
        }
        return strict && summary.drops.total() > 0 ? Summary.EXIT_DROPPED : 0;
    }

    private static void close(CaptureWriter writer) {
        try {
            writer.close();
        } catch (CaptureException e) {
            throw new UserException(UserException.UNREADABLE_INPUT, e.getMessage(), e);
        }
    }
}
