package dev.overlay.pcap.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

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
    Result result = exec(command);
    if (result.exitCode != 0) {
      fail(String.join(" ", command) + " exited " + result.exitCode + ": " + result.stderr);
    }
    return result.stdout;
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

  static Result exec(List<String> command) {
    if (command.get(0).startsWith("/") && !Files.isExecutable(Path.of(command.get(0)))) {
      fail(command.get(0) + " is missing (install python3, python3-scapy, tshark)");
    }
    try {
      Process process = new ProcessBuilder(command).start();
      process.getOutputStream().close();
      // Drain stderr beside stdout so a chatty tool cannot block on a full pipe.
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
        fail(String.join(" ", command) + " did not finish in 120 s");
      }
      return new Result(process.exitValue(), stdout, stderr.join());
    } catch (IOException e) {
      return fail(command.get(0) + " is missing (install tshark, python3-scapy): " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return fail("interrupted");
    }
  }

  record Result(int exitCode, String stdout, String stderr) {
    void assertExit(int expected) {
      assertEquals(expected, exitCode, () -> "exit " + exitCode + ", stdout: " + stdout + ", stderr: " + stderr);
    }
  }
}
