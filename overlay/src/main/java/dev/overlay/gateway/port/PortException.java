package dev.overlay.gateway.port;

/**
 * A port that cannot be opened: one sentence naming the port and the cause ("tap tap-blue: cannot
 * open /dev/net/tun: permission denied (needs CAP_NET_ADMIN)"). {@code overlay run} prints it and
 * exits 2 before anything else starts.
 */
public final class PortException extends Exception {
    private static final long serialVersionUID = 1L;

    public PortException(String message) {
        super(message, null, false, false);
    }

    public PortException(String message, Throwable cause) {
        super(message, cause, false, false);
    }
}
