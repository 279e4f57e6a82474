package dev.overlay.pcap.capture;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The independent tools the capture tests compare against: tshark, capinfos, editcap and
 * python3 with scapy. A missing tool fails the test with the package to install; it never
 * skips, so CI cannot pass without the oracle having run.
 */
final class Oracles {
    static final String PYTHON = "/usr/bin/python3";

    private Oracles() {}

    /** Runs {@code command}, fails unless it exits 0, returns its stdout. */
    static String run(List<String> command) {
        return OracleProcess.run(command, Map.of(), 120).stdout();
    }

    static String run(String... command) {
        return run(List.of(command));
    }

    /** Runs a python3 program given as text with {@code args}; scapy must be importable. */
    static String python(String program, String... args) {
        List<String> command = new ArrayList<>(List.of(PYTHON, "-c", program));
        command.addAll(List.of(args));
        return run(command);
    }

    /** tshark's fields, one array per frame, tab-separated as tshark prints them. */
    static List<String[]> tsharkFields(Path capture, String... fields) {
        List<String> command = new ArrayList<>(List.of("tshark", "-n", "-r", capture.toString(), "-T", "fields"));
        for (String field : fields) {
            command.add("-e");
            command.add(field);
        }
        return run(command).lines().map(line -> line.split("\t", -1)).toList();
    }

    /** capinfos' machine-readable value of one report line, e.g. "Number of packets" with -c. */
    static String capinfos(Path capture, String option, String label) {
        for (String line : run("capinfos", "-M", option, capture.toString()).lines().toList()) {
            if (line.startsWith(label + ":")) {
                return line.substring(label.length() + 1).strip();
            }
        }
        return fail("capinfos printed no '" + label + "' for " + capture);
    }

    /** The shared directory holding vectors/ (surefire sets OVERLAY_SHARED). */
    static Path shared() {
        String env = System.getenv("OVERLAY_SHARED");
        return Path.of(env != null ? env : "/work/shared");
    }

    /** Formats a timestamp as tshark prints frame.time_epoch. */
    static String epoch(CapturedPacket packet) {
        return packet.epochSeconds() + "." + String.format("%09d", packet.nanos());
    }

    /** Runs {@code command} and returns its exit code, stdout and stderr; a missing tool fails. */
    static OracleProcess.Result exec(List<String> command) {
        return OracleProcess.exec(command, Map.of(), 120);
    }
}
