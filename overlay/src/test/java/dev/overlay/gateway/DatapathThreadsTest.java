package dev.overlay.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.util.concurrent.FastThreadLocalThread;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The threads that allocate packet buffers are Netty FastThreadLocalThreads: Netty 4.2 recycles
 * a pooled ByteBuf's object and keeps a per-thread cache of pool memory only on those, so on any
 * other thread every packet would leave ~100 bytes of garbage and take the arena's lock. And
 * with ESP in UDP over epoll, each worker reads its own socket, steered by SPI.
 */
class DatapathThreadsTest {
    @TempDir
    Path dir;

    @Test
    void workersAreFastThreadLocalThreadsEachWithItsOwnSteeredSocket() throws Exception {
        GatewayLab lab = new GatewayLab(dir).tenant("blue", 1001, "vxlan", true)
                .gcmPair("blue", 0x1001, TwoGateways.K_BLUE_AB, 0x2001, TwoGateways.K_BLUE_BA);
        try (lab) {
            lab.start();
            List<Thread> workers = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().matches("overlay-gw-[ab]-worker-\\d+")).toList();
            assertEquals(4, workers.size(), () -> "two workers per gateway: " + workers);
            for (Thread t : workers) {
                assertTrue(t instanceof FastThreadLocalThread, () -> t.getName() + " is a " + t.getClass().getName());
            }
            assertEquals(4, GatewayLab.socketsOn(lab.esp), "each gateway's two ESP sockets share esp-port (SO_REUSEPORT)");
            assertTrue(lab.gwB.underlaySteering().startsWith("spi ("), lab.gwB.underlaySteering());
        }
    }
}
