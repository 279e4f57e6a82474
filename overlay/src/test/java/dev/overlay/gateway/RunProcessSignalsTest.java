package dev.overlay.gateway;

import static dev.overlay.gateway.GatewayTest.MAC_1;
import static dev.overlay.gateway.GatewayTest.MAC_2;
import static dev.overlay.gateway.TwoGateways.frame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code overlay run} as operators run it: two OS processes (the CLI's main class on this test's
 * class path, as bin/overlay starts it from the jar), frames through their udp tenant ports, a
 * SIGHUP that adds a tenant to both, and SIGTERM: each exits 0 within a few seconds.
 */
class RunProcessSignalsTest {
    @TempDir
    Path dir;

    @Test
    void framesCrossTwoRunProcessesSighupAddsATenantAndSigtermExitsZero() throws Exception {
        TwoGateways gws = new TwoGateways(dir, "udp");
        gws.realPorts = true;
        List<Process> processes = new ArrayList<>();
        try (gws) {
            Path a = gws.writeA();
            Path b = gws.writeB();
            String textA = Files.readString(a);
            String textB = Files.readString(b);
            // Start without red (and without red's SAs); the reload brings it in.
            Files.writeString(a, withoutRed(textA));
            Files.writeString(b, withoutRed(textB));
            Process pa = run(a, dir.resolve("a.log"));
            processes.add(pa);
            Process pb = run(b, dir.resolve("b.log"));
            processes.add(pb);
            awaitLog(dir.resolve("a.log"), "event=started");
            awaitLog(dir.resolve("b.log"), "event=started");

            TwoGateways.End blueA = gws.end("blue", 0);
            TwoGateways.End blueB = gws.end("blue", 1);
            for (int i = 0; i < 10; i++) {
                blueA.inject(frame(MAC_2, MAC_1, "run " + i));
            }
            for (int i = 0; i < 10; i++) {
                assertArrayEquals(frame(MAC_2, MAC_1, "run " + i), blueB.take(), "blue " + i);
            }

            Files.writeString(a, textA);
            Files.writeString(b, textB);
            signal(pa, "HUP");
            signal(pb, "HUP");
            awaitLog(dir.resolve("a.log"), "event=reloaded");
            awaitLog(dir.resolve("b.log"), "event=reloaded");
            TwoGateways.End redA = gws.end("red", 0);
            TwoGateways.End redB = gws.end("red", 1);
            redA.inject(frame(MAC_2, MAC_1, "red after reload"));
            assertArrayEquals(frame(MAC_2, MAC_1, "red after reload"), redB.take(), "red, added by SIGHUP");

            for (Process p : List.of(pa, pb)) {
                long t0 = System.nanoTime();
                p.destroy(); // SIGTERM
                assertTrue(p.waitFor(5, TimeUnit.SECONDS), "no exit within 5 s of SIGTERM");
                assertEquals(0, p.exitValue(), () -> log(p == pa ? "a.log" : "b.log"));
                assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5));
            }
            assertTrue(log("a.log").contains("event=stopped"), log("a.log"));
        } finally {
            processes.forEach(Process::destroyForcibly);
        }
    }

    /** The config without the red tenant and without red's SAs (the lines naming red). */
    private static String withoutRed(String yaml) {
        StringBuilder out = new StringBuilder();
        for (String line : yaml.split("\n", -1)) {
            if (!line.startsWith("  red:") && !line.contains("tenants: [red]")) {
                out.append(line).append('\n');
            }
        }
        return out.toString().stripTrailing() + "\n";
    }

    private Process run(Path config, Path log) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "--add-opens", "java.base/com.sun.crypto.provider=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "dev.overlay.cli.Main", "run", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static void signal(Process p, String name) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(p.pid())).start();
        assertEquals(0, kill.waitFor());
    }

    private void awaitLog(Path log, String text) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log, StandardCharsets.UTF_8).contains(text)) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no '" + text + "' in " + log + ":\n" + (Files.exists(log) ? Files.readString(log) : ""));
    }

    private String log(String name) {
        try {
            return Files.readString(dir.resolve(name));
        } catch (IOException e) {
            return e.toString();
        }
    }
}
