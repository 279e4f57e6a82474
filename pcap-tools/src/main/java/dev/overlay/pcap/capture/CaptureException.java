package dev.overlay.pcap.capture;

import java.io.IOException;

/**
 * A capture file that cannot be read or written, in one sentence that names the file
 * ({@code "in.pcap: truncated capture header"}). The CLI prints the message and exits 1; the
 * message never needs a stack trace to be understood, so callers should not print one.
 */
public final class CaptureException extends IOException {
    private static final long serialVersionUID = 1L;

    public CaptureException(String message) {
        super(message);
    }

    public CaptureException(String message, Throwable cause) {
        super(message, cause);
    }
}
