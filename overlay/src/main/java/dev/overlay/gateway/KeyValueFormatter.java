package dev.overlay.gateway;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;

/**
 * java.util.logging on one line: {@code 2026-11-25T23:10:00Z INFO gateway=gw-a event=...}.
 * Records from other libraries get {@code logger=NAME msg="..."} so every line parses the same.
 */
public final class KeyValueFormatter extends Formatter {
    @Override
    public String format(LogRecord r) {
        StringBuilder sb = new StringBuilder(128);
        sb.append(r.getInstant().truncatedTo(ChronoUnit.SECONDS)).append(' ').append(level(r.getLevel())).append(' ');
        String message = formatMessage(r);
        if (EventLog.LOGGER.getName().equals(r.getLoggerName())) {
            sb.append(message);
        } else {
            sb.append("logger=").append(r.getLoggerName()).append(" msg=\"")
                    .append(message.replace("\"", "\\\"").replace('\n', ' ')).append('"');
        }
        if (r.getThrown() != null) {
            sb.append(" error=\"").append(String.valueOf(r.getThrown()).replace("\"", "\\\"").replace('\n', ' '))
                    .append('"');
        }
        return sb.append('\n').toString();
    }

    private static String level(Level level) {
        return level == Level.SEVERE ? "ERROR" : level == Level.WARNING ? "WARN" : level.getName();
    }

    /** For tests: the time of a record as written. */
    static String time(Instant instant) {
        return instant.truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
