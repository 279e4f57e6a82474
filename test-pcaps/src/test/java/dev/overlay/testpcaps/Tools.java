package dev.overlay.testpcaps;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The committed captures and the outside tools that judge them (python3 with scapy, tshark).
 * A missing tool fails the test, naming the package; it never skips.
 */
final class Tools {
    static final List<String> CAPTURES =
            List.of("tenant-blue.pcap", "tenant-red.pcap", "tenant-blue-nsec.pcap", "tenants-trunk.pcapng");

    private Tools() {}

    /** test-pcaps/ in the source tree: surefire sets overlay.root; its working directory is the module. */
    static Path moduleDir() {
        String root = System.getProperty("overlay.root");
        return root != null ? Path.of(root, "test-pcaps") : Path.of("").toAbsolutePath();
    }

    static Path capture(String name) {
        return moduleDir().resolve(name);
    }

    /** tshark's fields, one array per frame. */
    static List<String[]> tsharkFields(Path capture, String... fields) {
        List<String> command = new ArrayList<>(List.of("tshark", "-n", "-r", capture.toString(), "-T", "fields"));
        for (String field : fields) {
            command.add("-e");
            command.add(field);
        }
        return run(command).lines().map(line -> line.split("\t", -1)).toList();
    }

    /** Runs {@code command}, fails unless it exits 0, returns its stdout. */
    static String run(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.PIPE).start();
            process.getOutputStream().close();
            var stderr = new java.util.concurrent.CompletableFuture<String>();
            Thread.ofVirtual().start(() -> {
                try {
                    stderr.complete(new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException e) {
                    stderr.complete("");
                }
            });
            String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return fail(String.join(" ", command) + " did not finish in 120 s");
            }
            if (process.exitValue() != 0) {
                return fail(String.join(" ", command) + " exited " + process.exitValue() + ": " + stderr.join());
            }
            return stdout;
        } catch (IOException e) {
            return fail(command.get(0) + " is missing (install tshark, python3-scapy): " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted");
        }
    }
}
