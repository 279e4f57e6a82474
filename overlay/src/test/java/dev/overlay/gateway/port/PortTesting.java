package dev.overlay.gateway.port;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Shell, root and thread helpers for the port tests, which drive real kernel interfaces. The
 * command runner is public: the gateway's namespace tests (NetLab) run theirs through it too.
 */
public final class PortTesting {
    private PortTesting() {
    }

    /** Tests that create interfaces need root; CI runs them as root, so they fail rather than skip. */
    static void requireRoot() throws IOException {
        String status = Files.readString(Path.of("/proc/self/status"));
        boolean root = status.lines().anyMatch(l -> l.startsWith("Uid:") && l.split("\\s+")[2].equals("0"));
        assertTrue(root, "this test creates network interfaces and needs root (CAP_NET_ADMIN, CAP_NET_RAW)");
    }

    /** A name no other test run is using: prefix plus 6 hex digits, 9 bytes with a 3-byte prefix. */
    static String uniqueName(String prefix) {
        return prefix + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt(1 << 24)).substring(2);
    }

    /** A command's exit status and its stdout and stderr together. */
    public record Result(int exit, String out) {
    }

    /** Runs a command, waiting up to 20 s; output is stdout and stderr together. */
    static Result run(String... command) {
        return run(Duration.ofSeconds(20), command);
    }

    /** Runs a command, waiting up to {@code timeout}; output is stdout and stderr together. */
    public static Result run(Duration timeout, String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] out = process.getInputStream().readAllBytes();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                fail("timed out: " + String.join(" ", command));
            }
            return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command[0] + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Runs a command that must succeed, waiting up to 20 s. */
    static String sh(String... command) {
        return sh(Duration.ofSeconds(20), command);
    }

    /** Runs a command that must succeed, waiting up to {@code timeout}. */
    public static String sh(Duration timeout, String... command) {
        Result result = run(timeout, command);
        assertEquals(0, result.exit(), () -> String.join(" ", command) + " failed:\n" + result.out());
        return result.out();
    }

    /** Threads of this JVM whose name starts with {@code port-<portName>}. */
    static List<String> portThreads(String portName) {
        List<String> names = new ArrayList<>();
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            if (thread.isAlive() && thread.getName().startsWith("port-" + portName)) {
                names.add(thread.getName());
            }
        }
        return names;
    }

    /** A sink that queues frames for the test, which then owns (and releases) them. */
    static final class Frames implements TenantPort.FrameSink {
        final BlockingQueue<ByteBuf> queue = new LinkedBlockingQueue<>();

        @Override
        public void receive(TenantPort port, ByteBuf frame) {
            queue.add(frame);
        }

        /** The next frame accepted by {@code match} within 10 s; others are released on the way. */
        ByteBuf next(java.util.function.Predicate<ByteBuf> match) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadline) {
                ByteBuf frame = queue.poll(100, TimeUnit.MILLISECONDS);
                if (frame == null) {
                    continue;
                }
                if (match.test(frame)) {
                    return frame;
                }
                frame.release();
            }
            throw new AssertionError("no matching frame within 10 s");
        }

        void releaseAll() {
            for (ByteBuf frame; (frame = queue.poll()) != null; ) {
                frame.release();
            }
        }
    }
}
