package dev.overlay.demo;

import dev.overlay.cli.UserException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The commands the netns demo drives (ip, ping, iperf3): run, wait, and say in one sentence what failed. */
final class Shell {
    private Shell() {
    }

    record Result(int exit, String out) {}

    /** Runs {@code command} (stdout and stderr together), waiting up to {@code seconds}. */
    static Result run(int seconds, List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            // Read on this thread: the commands print little, and a full pipe would block them.
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timed out after " + seconds + " s");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Result(-1, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }

    /** Runs a command that must succeed; otherwise exit 1 with the command and its output. */
    static String check(String... command) {
        Result r = run(30, List.of(command));
        if (r.exit != 0) {
            throw new UserException(UserException.UNREADABLE_INPUT, "demo: '" + String.join(" ", command)
                    + "' failed (exit " + r.exit + "): " + r.out.strip());
        }
        return r.out;
    }

    /** True when {@code tool} is an executable on PATH (or in /usr/sbin and /sbin, where ip lives). */
    static boolean onPath(String tool) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin";
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    /** Whether this process runs as root (uid 0), which creating namespaces and TAP devices needs. */
    static boolean root() {
        try {
            return Files.readString(Path.of("/proc/self/status")).lines()
                    .anyMatch(l -> l.startsWith("Uid:") && l.split("\\s+")[2].equals("0"));
        } catch (IOException e) {
            return false;
        }
    }
}
