package dev.overlay.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.cli.Main;
import dev.overlay.config.ConfigLoader;
import dev.overlay.config.GatewayConfig;
import dev.overlay.steering.WorkerPool;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The idle workers' spin window: parked at once unless pinned, the property overriding both. */
class WorkerSpinTest {
    @TempDir
    Path dir;

    private static final String CONFIG = """
            gateway:
              name: gw-spin
              address: 127.0.0.1
              workers: 2
              pin-workers: %s
            peers:
              gw-b: { address: 127.0.0.2 }
            tenants:
              green:
                vni: 1003
                security: none
                peers: [gw-b]
                ports:
                  - { type: udp, listen: 127.0.0.1:7101, remote: 127.0.0.1:7999 }
            """;

    private static GatewayConfig gateway(boolean pinned) {
        return ConfigLoader.parse(Path.of("gw-spin.yaml"), String.format(CONFIG, pinned)).orThrow().gateway();
    }

    @Test
    void unpinnedWorkersParkAtOncePinnedOnesSpin() {
        assertEquals(Duration.ZERO, WorkerSpin.of(gateway(false), null));
        assertEquals(WorkerPool.DEFAULT_SPIN_BEFORE_PARK, WorkerSpin.of(gateway(true), null));
        assertTrue(WorkerPool.DEFAULT_SPIN_BEFORE_PARK.toNanos() > 0);
    }

    @Test
    void thePropertyOverridesEitherWay() {
        assertEquals(Duration.ofNanos(20_000), WorkerSpin.of(gateway(false), "20000"));
        assertEquals(Duration.ZERO, WorkerSpin.of(gateway(true), " 0 "));
        for (String bad : new String[] {"-1", "50us", "10000001", ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> WorkerSpin.of(gateway(false), bad));
            assertTrue(e.getMessage().startsWith("-Doverlay.worker.spin-nanos=" + bad + ": expected nanoseconds"),
                    e.getMessage());
        }
    }

    @Test
    void theGatewaysPoolUsesIt() throws Exception {
        WorkerPool unpinned = GatewayModule.workerPool(gateway(false), Optional.empty(), new EventLog("gw-spin"));
        WorkerPool pinned = GatewayModule.workerPool(gateway(true), Optional.empty(), new EventLog("gw-spin"));
        try {
            assertEquals(Duration.ZERO, unpinned.spinBeforePark());
            assertEquals(WorkerPool.DEFAULT_SPIN_BEFORE_PARK, pinned.spinBeforePark());
        } finally {
            unpinned.close();
            pinned.close();
        }
    }

    @Test
    void runRefusesABadPropertyInOneSentence() throws Exception {
        Path file = Files.writeString(dir.resolve("gw.yaml"), String.format(CONFIG, false));
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
}
