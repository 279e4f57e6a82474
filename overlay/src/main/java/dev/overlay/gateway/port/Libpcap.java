package dev.overlay.gateway.port;

import com.sun.jna.NativeLibrary;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Finds libpcap before Pcap4J's first use and turns its absence into one sentence.
 *
 * <p>Pcap4J asks JNA for "pcap", which means {@code libpcap.so}: a symlink that only the -dev
 * package installs. A fresh Debian or Ubuntu has just {@code libpcap.so.0.8} (package
 * libpcap0.8), so we point the system property {@code org.pcap4j.core.pcapLibName} at the first
 * library found in the multiarch directories, then in {@code ldconfig -p} (run once, only when
 * the directories had none). A value the user set is left alone.
 *
 * <p>Pcap4J also logs through slf4j: INFO lines on every library load and dumper close, and
 * ERROR lines with stack traces on failures we already report in one sentence. Its
 * java.util.logging logger is turned off unless logging configuration gave it a level.
 *
 * <p>Shared by the gateway's pcap port and the capture tools: each passes the constructor of its
 * own one-sentence exception ({@code PortException::new}, {@code CaptureException::new}).
 */
public final class Libpcap {
    public static final String LIB_PROPERTY = "org.pcap4j.core.pcapLibName";
    public static final String NOT_INSTALLED = "libpcap is not installed: apt-get install libpcap0.8";

    /** Held strongly: java.util.logging keeps loggers weakly, and a collected one forgets its level. */
    private static final Logger PCAP4J_LOGGER = Logger.getLogger("org.pcap4j");

    private static final List<String> NAMES = List.of("libpcap.so.0.8", "libpcap.so", "libpcap.so.1");

    private static boolean ready;

    private Libpcap() {}

    /**
     * Prepares Pcap4J: logging quiet, library property set. Cheap after the first call.
     *
     * @param failure makes the caller's exception from a sentence and a cause (null when none)
     * @throws E when no libpcap can be found on Linux, or the one found cannot be loaded
     */
    public static synchronized <E extends Exception> void prepare(BiFunction<String, Throwable, E> failure)
            throws E {
        if (ready) {
            return;
        }
        if (PCAP4J_LOGGER.getLevel() == null) {
            PCAP4J_LOGGER.setLevel(Level.OFF);
        }
        if (System.getProperty(LIB_PROPERTY) == null && isLinux()) {
            Optional<Path> found = firstExisting(candidates(System.getProperty("os.arch", "")));
            if (found.isEmpty()) {
                found = fromLdconfig();
            }
            if (found.isEmpty()) {
                throw failure.apply(NOT_INSTALLED, null);
            }
            System.setProperty(LIB_PROPERTY, found.get().toString());
        }
        // Load it here, once, so a wrong path fails in our words: Pcap4J reports a missing library
        // per function, some as "not supported by the pcap library", some as UnsatisfiedLinkError.
        // JNA caches the instance, and Pcap4J's own getInstance gets this one.
        try {
            NativeLibrary.getInstance(System.getProperty(LIB_PROPERTY, "pcap"));
        } catch (UnsatisfiedLinkError e) {
            throw notLoadable(e, failure);
        }
        ready = true;
    }

    /**
     * The sentence for a native library that Pcap4J could not load or bind: Pcap4J's classes then
     * fail with UnsatisfiedLinkError, or NoClassDefFoundError on every later use.
     */
    public static <E extends Exception> E notLoadable(LinkageError e, BiFunction<String, Throwable, E> failure) {
        String configured = System.getProperty(LIB_PROPERTY);
        String message = configured == null
                ? NOT_INSTALLED
                : "libpcap could not be loaded from " + configured + " (" + LIB_PROPERTY + "): apt-get install libpcap0.8";
        return failure.apply(message, e);
    }

    /** Library paths to try, this machine's multiarch directory first. */
    static List<Path> candidates(String osArch) {
        String primary = switch (osArch) {
            case "aarch64", "arm64" -> "aarch64-linux-gnu";
            default -> "x86_64-linux-gnu";
        };
        String secondary = primary.startsWith("x86_64") ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
        List<Path> paths = new ArrayList<>();
        for (String dir : List.of("/usr/lib/" + primary, "/lib/" + primary, "/usr/lib64", "/usr/lib",
                "/usr/local/lib", "/usr/lib/" + secondary)) {
            for (String name : NAMES) {
                paths.add(Path.of(dir, name));
            }
        }
        return paths;
    }

    static Optional<Path> firstExisting(List<Path> paths) {
        return paths.stream().filter(Files::isRegularFile).findFirst();
    }

    /** Lines like {@code libpcap.so.0.8 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libpcap.so.0.8}. */
    static Optional<Path> parseLdconfig(String output) {
        return output.lines()
                .map(String::strip)
                .filter(line -> line.startsWith("libpcap.so") && line.contains("=>"))
                .map(line -> line.substring(line.indexOf("=>") + 2).strip())
                .map(Path::of)
                .filter(Files::isRegularFile)
                .findFirst();
    }

    private static Optional<Path> fromLdconfig() {
        for (String ldconfig : List.of("/sbin/ldconfig", "/usr/sbin/ldconfig")) {
            if (!Files.isExecutable(Path.of(ldconfig))) {
                continue;
            }
            try {
                Process process = new ProcessBuilder(ldconfig, "-p").redirectErrorStream(true).start();
                byte[] out = process.getInputStream().readAllBytes();
                if (process.waitFor(5, TimeUnit.SECONDS)) {
                    return parseLdconfig(new String(out, StandardCharsets.UTF_8));
                }
                process.destroyForcibly();
            } catch (IOException e) {
                return Optional.empty();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    private static boolean isLinux() {
        return System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux");
    }
}
