package dev.overlay.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.gateway.WorkerSpin;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code overlay run}'s refusals: exit 2 with the reason, before anything starts. */
class RunCommandTest {
    @TempDir
    Path dir;

    private static final String CONFIG = """
            gateway:
              name: gw-run
              address: 127.0.0.1
              esp-port: %d
              workers: 1
            peers:
              gw-b: { address: 127.0.0.2 }
            tenants:
              green:
                vni: 1003
                security: none
                peers: [gw-b]
                ports:
                  - { type: udp, listen: %s, remote: 127.0.0.1:7999 }
            """;

    @Test
    void invalidConfigExitsTwoListingEveryError() throws Exception {
        Path file = Files.writeString(dir.resolve("bad.yaml"), "gateway:\n  name: x\n  address: nowhere\n  wrokers: 2\n");
        StringWriter err = new StringWriter();
        int status = Main.run(new String[] {"run", "--config", file.toString()}, new PrintWriter(new StringWriter()),
                new PrintWriter(err));
        assertEquals(2, status, err::toString);
        assertTrue(err.toString().contains("bad.yaml:3") && err.toString().contains("bad.yaml:4"), err::toString);
    }

    @Test
    void portThatCannotBeOpenedExitsTwoWithOneSentenceAndLeavesNothingRunning() throws Exception {
        // 192.0.2.1 (TEST-NET-1) is on no interface of this host: the udp port cannot bind.
        Path file = Files.writeString(dir.resolve("port.yaml"), String.format(CONFIG, 45999, "192.0.2.1:7001"));
        StringWriter err = new StringWriter();
        int status = Main.run(new String[] {"run", "--config", file.toString()}, new PrintWriter(new StringWriter()),
                new PrintWriter(err));
        assertEquals(2, status, err::toString);
        String text = err.toString().strip();
        assertTrue(text.startsWith("overlay: udp 192.0.2.1:7001"), text);
        assertEquals(1, text.lines().count(), text);
        Thread.sleep(200);
        assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().startsWith("overlay-gw-run")
                && t.isAlive()), "no gateway thread after a refused start");
    }

    @Test
    void aBadWorkerSpinPropertyIsOneSentenceBeforeAnythingStarts() throws Exception {
        Path file = Files.writeString(dir.resolve("spin.yaml"), String.format(CONFIG, 45998, "127.0.0.1:7002"));
        String before = System.getProperty(WorkerSpin.PROPERTY);
        StringWriter err = new StringWriter();
        int status;
        try {
            System.setProperty(WorkerSpin.PROPERTY, "fast");
            status = Main.run(new String[] {"run", "--config", file.toString()}, new PrintWriter(new StringWriter()),
                    new PrintWriter(err));
        } finally {
            if (before == null) {
                System.clearProperty(WorkerSpin.PROPERTY);
            } else {
                System.setProperty(WorkerSpin.PROPERTY, before);
            }
        }
        assertEquals(2, status, err::toString);
        assertEquals("overlay: -Doverlay.worker.spin-nanos=fast: expected nanoseconds from 0 to 10000000 (10 ms)",
                err.toString().strip());
    }

    @Test
    void leakDetectionIsOffForTheGatewayUnlessTheUserSetsALevel() {
        io.netty.util.ResourceLeakDetector.Level before = io.netty.util.ResourceLeakDetector.getLevel();
        String property = System.getProperty("io.netty.leakDetection.level");
        try {
            // The tests' JVM asks for paranoid (pom.xml): a level the user gave is kept.
            System.setProperty("io.netty.leakDetection.level", "paranoid");
            io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.PARANOID);
            RunCommand.leakDetectionOffUnlessAsked();
            assertEquals(io.netty.util.ResourceLeakDetector.Level.PARANOID, io.netty.util.ResourceLeakDetector.getLevel());
            // Nobody asked: off, as `overlay run` starts.
            System.clearProperty("io.netty.leakDetection.level");
            RunCommand.leakDetectionOffUnlessAsked();
            assertEquals(io.netty.util.ResourceLeakDetector.Level.DISABLED, io.netty.util.ResourceLeakDetector.getLevel());
        } finally {
            if (property == null) {
                System.clearProperty("io.netty.leakDetection.level");
            } else {
                System.setProperty("io.netty.leakDetection.level", property);
            }
            io.netty.util.ResourceLeakDetector.setLevel(before);
        }
    }
}
