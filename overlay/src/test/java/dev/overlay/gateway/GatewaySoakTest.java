package dev.overlay.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The soak of {@code bin/soak} ({@link GatewaySoak}) compressed to 24 seconds with a reload round
 * every 8, so every build runs its code path: SA rollovers and a tenant added and removed under
 * traffic, with no loss on the untouched tenants, no thread growth and no leak report. Resident
 * memory is judged only by the real, ten-minute run (SOAK.md): in a test JVM shared with other
 * tests it says nothing.
 */
class GatewaySoakTest {
    @TempDir
    Path dir;

    @Test
    void reloadsUnderMixedTrafficLoseNothingOnUntouchedTenantsAndLeakNothing() throws Exception {
        GatewaySoak.Result r = GatewaySoak.run(dir, Duration.ofSeconds(24), Duration.ofSeconds(8),
                Duration.ofSeconds(5), 300, true);
        assertTrue(r.reloads() >= 10, () -> "reloads: " + r.reloads());
        // bin/soak demands zero loss on the untouched tenants. Here, on a CI host shared with other
        // jobs, at most 1 in 1,000: twice, at load averages above 10 on 2 cores, two or three
        // frames of red or green went missing or out of order around a reload with no drop counted
        // anywhere (an open finding, SOAK.md); anything beyond that fails.
        for (String t : java.util.List.of("red", "green", "blue")) {
            assertTrue(r.lost().get(t) * 1000 <= r.sent().get(t), () -> t + " lost too much: " + r);
        }
        // Enough traffic that a reload lands in the middle of it: half the nominal rate at least
        // (the senders fall behind on a loaded 2-core host; that is not what this test judges).
        assertTrue(r.sent().values().stream().allMatch(n -> n > 24 * 300 / 2), r::toString);
        assertTrue(r.threadsMaxAfterWarmup() <= r.threadsAtWarmup(), r::toString);
        assertEquals(0, r.leaks(), r::toString);
    }
}
