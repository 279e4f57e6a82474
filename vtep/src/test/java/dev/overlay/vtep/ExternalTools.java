package dev.overlay.vtep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The independent oracles: tshark and scapy. A missing tool fails the test (never skips), so
 * a CI machine without them cannot pass by accident.
 */
final class ExternalTools {
    static final String TSHARK = "/usr/bin/tshark";
    static final String PYTHON = "/usr/bin/python3";

    private ExternalTools() {}

    static String run(List<String> command) throws IOException, InterruptedException {
        assertTrue(Files.isExecutable(Path.of(command.get(0))),
                command.get(0) + " is required by this test (install tshark / python3-scapy)");
        Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + command);
        assertEquals(0, p.exitValue(), () -> command + " failed: " + new String(err,
                StandardCharsets.UTF_8));
        return new String(out, StandardCharsets.UTF_8);
    }

    /** One row per packet, one column per field (multiple occurrences joined by ','). */
    static List<List<String>> tsharkFields(Path pcap, String... fields)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(TSHARK, "-n", "-r", pcap.toString(),
                "-o", "udp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE", "-T", "fields",
                "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=,"));
        for (String f : fields) {
            cmd.add("-e");
            cmd.add(f);
        }
        List<List<String>> rows = new ArrayList<>();
        for (String line : run(cmd).split("\n")) {
            if (!line.isEmpty()) {
                rows.add(Arrays.asList(line.split("\\|", -1)));
            }
        }
        return rows;
    }

    static String python(String script) throws IOException, InterruptedException {
        return run(List.of(PYTHON, "-c", script));
    }
}
