package dev.overlay.cli;

/**
 * A failure the user can act on, shown as its message alone (one sentence, naming the file and,
 * where there is one, the key and line) with the given exit status. Anything else that escapes a
 * command is a bug and is reported as such.
 */
public final class UserException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Exit status for input that cannot be read at all (CONTRACT.md). */
    public static final int UNREADABLE_INPUT = 1;
    /** Exit status for bad usage or an invalid config (CONTRACT.md). */
    public static final int USAGE = 2;

    private final int exitCode;

    public UserException(int exitCode, String message) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }

    public UserException(int exitCode, String message, Throwable cause) {
        super(message, cause, false, false);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
