package dev.overlay.pcap;

import dev.overlay.datapath.DropCounts;
import java.util.function.Supplier;

/**
 * The counts every pcap command reports, and its closing line on stderr:
 * {@code packets in N, out N, dropped N (reason=count, ...)}.
 */
final class Summary {
    /** Exit status under {@code --strict} when any packet was dropped (CONTRACT.md). */
    static final int EXIT_DROPPED = 3;

    final DropCounts drops = new DropCounts();
    long in;
    long out;
    /** A line said just before the summary line, or null for none; asked once the capture was read. */
    Supplier<String> note = () -> null;

    String line() {
        long dropped = drops.total();
        String reasons = drops.toString();
        return "packets in " + in + ", out " + out + ", dropped " + dropped
                + (reasons.isEmpty() ? "" : " (" + reasons + ")");
    }
}
