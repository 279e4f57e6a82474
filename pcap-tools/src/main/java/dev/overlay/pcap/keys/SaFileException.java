package dev.overlay.pcap.keys;

import java.nio.file.Path;

/** A line of an SA file that cannot be used: its message is one sentence, {@code file:line: reason}. */
public final class SaFileException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SaFileException(Path file, int line, String reason) {
        this(file + (line > 0 ? ":" + line : ""), reason);
    }

    /** At {@code origin}, {@code file:line}. */
    public SaFileException(String origin, String reason) {
        super(origin + ": " + reason, null, false, false);
    }
}
