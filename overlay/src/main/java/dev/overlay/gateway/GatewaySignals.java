package dev.overlay.gateway;

import java.nio.file.Path;
import java.util.logging.ConsoleHandler;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;
import sun.misc.Signal;

/**
 * The process around a foreground gateway: SIGHUP reloads its config file, SIGTERM and SIGINT
 * stop it gracefully (handled, rather than left to the JVM's shutdown, so the exit status is 0),
 * and the log goes to stderr one {@link KeyValueFormatter} line per event.
 */
public final class GatewaySignals {
    private GatewaySignals() {}

    /** Installs the handlers for {@code gateway}, whose config is read again from {@code file} on SIGHUP. */
    public static void install(Gateway gateway, Path file) {
        install(gateway.name(), () -> gateway.reload(file), gateway::close);
    }

    /**
     * SIGHUP runs {@code reload}; SIGTERM, SIGINT and any other way out of the JVM run {@code stop}
     * (which must be idempotent). Cluster mode passes its agent's reload and leave-then-stop.
     */
    public static void install(String name, Runnable reload, Runnable stop) {
        // Signal handlers run on their own thread: a reload or stop there never blocks a packet.
        Signal.handle(new Signal("HUP"), s -> reload.run());
        Signal.handle(new Signal("TERM"), s -> stop.run());
        Signal.handle(new Signal("INT"), s -> stop.run());
        // Any other way out of the JVM (System.exit elsewhere) still stops the gateway.
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("overlay-" + name + "-shutdown").unstarted(stop));
    }

    /** The root logger writes {@link KeyValueFormatter} lines to stderr at INFO. */
    public static void installLogFormat() {
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        ConsoleHandler console = new ConsoleHandler();
        console.setFormatter(new KeyValueFormatter());
        console.setLevel(Level.ALL);
        root.addHandler(console);
        root.setLevel(Level.INFO);
    }
}
