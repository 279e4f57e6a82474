package dev.overlay.pcap.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs an oracle tool (tshark, capinfos, editcap, python3 with scapy) for the tests of both
 * packages of this module. A missing tool fails the test with what to install, never skips, so
 * CI cannot pass without the oracle having run; stderr is drained beside stdout so a chatty tool
 * cannot block on a full pipe; a tool that hangs fails after {@code timeoutSeconds}.
 */
public final class OracleProcess {
    private OracleProcess() {
    }

    public record Result(int exitCode, String stdout, String stderr) {
        public void assertExit(int expected) {
            assertEquals(expected, exitCode, () -> "exit " + exitCode + ", stdout: " + stdout + ", stderr: " + stderr);
        }
    }

    /** Runs {@code command} with {@code env} added to this process's environment; any exit code is returned. */
    public static Result exec(List<String> command, Map<String, String> env, int timeoutSeconds) {
        if (command.get(0).startsWith("/") && !Files.isExecutable(Path.of(command.get(0)))) {
            fail(command.get(0) + " is missing (bin/test installs python3, python3-scapy, tshark)");
        }
        try {
            ProcessBuilder builder = new ProcessBuilder(command);
            builder.environment().putAll(env);
            Process process = builder.start();
            process.getOutputStream().close();
            CompletableFuture<String> stderr = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> {
                try {
                    stderr.complete(new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException e) {
                    stderr.complete("");
                }
            });
            String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail(String.join(" ", command) + " did not finish in " + timeoutSeconds + " s");
            }
            return new Result(process.exitValue(), stdout, stderr.join());
        } catch (IOException e) {
            return fail(command.get(0) + " is missing (bin/test installs tshark, python3-scapy): " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted");
        }
    }

    /** As {@link #exec}, failing the test unless the tool exits 0. */
    public static Result run(List<String> command, Map<String, String> env, int timeoutSeconds) {
        Result result = exec(command, env, timeoutSeconds);
        if (result.exitCode != 0) {
            fail(String.join(" ", command) + " exited " + result.exitCode + ": " + result.stderr);
        }
        return result;
    }
}
