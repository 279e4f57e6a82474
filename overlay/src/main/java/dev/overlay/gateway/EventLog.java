package dev.overlay.gateway;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One structured line per event ({@code gateway=gw-a event=sa-installed spi=0x00001001
 * direction=in}), through java.util.logging; {@link KeyValueFormatter} adds the time and level.
 * Events, never packets: nothing on the per-packet path logs at INFO. Callers pass names and
 * numbers only, never key material. Public for the cluster agent, whose events read the same.
 */
public final class EventLog {
    static final Logger LOGGER = Logger.getLogger("dev.overlay.gateway");

    private final String gateway;

    public EventLog(String gateway) {
        this.gateway = gateway;
    }

    public void info(String event, Object... keyValues) {
        log(Level.INFO, event, keyValues);
    }

    public void warning(String event, Object... keyValues) {
        log(Level.WARNING, event, keyValues);
    }

    public void fine(String event, Object... keyValues) {
        log(Level.FINE, event, keyValues);
    }

    private void log(Level level, String event, Object... keyValues) {
        if (!LOGGER.isLoggable(level)) {
            return;
        }
        LOGGER.log(level, line(gateway, event, keyValues));
    }

    /** {@code gateway=NAME event=EVENT k=v ...}, values quoted when they contain a space or quote. */
    static String line(String gateway, String event, Object... keyValues) {
        if (keyValues.length % 2 != 0) {
            throw new IllegalArgumentException("keyValues: " + keyValues.length + " (expected: pairs)");
        }
        StringBuilder sb = new StringBuilder(96);
        sb.append("gateway=").append(value(gateway)).append(" event=").append(event);
        for (int i = 0; i < keyValues.length; i += 2) {
            sb.append(' ').append(keyValues[i]).append('=').append(value(String.valueOf(keyValues[i + 1])));
        }
        return sb.toString();
    }

    private static String value(String v) {
        if (!v.isEmpty() && v.chars().noneMatch(c -> c == ' ' || c == '"' || c == '=' || c < 0x20)) {
            return v;
        }
        StringBuilder sb = new StringBuilder(v.length() + 2).append('"');
        for (char c : v.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                default -> sb.append(c < 0x20 ? ' ' : c);
            }
        }
        return sb.append('"').toString();
    }
}
