package dev.overlay.config;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * What a config is loaded for: the command that will use it. Most rules hold for every use; a
 * rule that only one use needs gates only that use ({@link ConfigGap}): strict on what we send,
 * liberal on what we read. A config holding only the inbound SAs that open a capture is complete
 * for {@code pcap decrypt}, {@code decode} and {@code inspect}, and not for {@code run} or
 * {@code encode}, which would have nothing to send a tenant's traffic with.
 */
public enum Purpose {
    RUN, ENCODE, DECODE, DECRYPT, INSPECT, WIRESHARK_KEYS;

    /** The uses that send traffic: they need an out SA for every ESP tenant and peer. */
    public static final Set<Purpose> SENDING = Collections.unmodifiableSet(EnumSet.of(RUN, ENCODE));

    /** The uses that only read captures: they need only SAs that open, and accept what only opens. */
    public static final Set<Purpose> READING = Collections.unmodifiableSet(EnumSet.complementOf(EnumSet.of(RUN, ENCODE)));

    /** Every use, in the order {@code check} lists them. */
    public static final Set<Purpose> ALL = Collections.unmodifiableSet(EnumSet.allOf(Purpose.class));

    /** The command's name, as typed: {@code run}, {@code wireshark-keys}. */
    public String commandName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The purpose of a command name, or {@code null}. */
    public static Purpose of(String commandName) {
        for (Purpose p : values()) {
            if (p.commandName().equals(commandName)) {
                return p;
            }
        }
        return null;
    }
}
