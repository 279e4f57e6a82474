package dev.overlay.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.config.GatewayConfig;
import dev.overlay.steering.WorkerPool;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The idle workers' spin window: parked at once unless pinned, the property overriding both
 * (RunCommandTest checks that {@code run} refuses a bad property in one sentence).
 */
class WorkerSpinTest {
    private static GatewayConfig gateway(boolean pinned) {
        return new GatewayConfig("gw-spin", InetAddress.ofLiteral("127.0.0.1"), Optional.empty(),
                GatewayConfig.EspTransport.UDP, 4500, 4789, 6081, 1500, 2, GatewayConfig.Steering.SPI,
                Optional.empty(), Optional.empty(), pinned);
    }

    @Test
    void unpinnedWorkersParkAtOncePinnedOnesSpin() {
        assertEquals(Duration.ZERO, WorkerSpin.of(false, null));
        assertEquals(WorkerPool.DEFAULT_SPIN_BEFORE_PARK, WorkerSpin.of(true, null));
        assertTrue(WorkerPool.DEFAULT_SPIN_BEFORE_PARK.toNanos() > 0);
    }

    @Test
    void thePropertyOverridesEitherWay() {
        assertEquals(Duration.ofNanos(20_000), WorkerSpin.of(false, "20000"));
        assertEquals(Duration.ZERO, WorkerSpin.of(true, " 0 "));
        for (String bad : new String[] {"-1", "50us", "10000001", ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> WorkerSpin.of(false, bad));
            assertTrue(e.getMessage().startsWith("-Doverlay.worker.spin-nanos=" + bad + ": expected nanoseconds"),
                    e.getMessage());
        }
    }

    @Test
    void theGatewaysPoolUsesIt() {
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
}
