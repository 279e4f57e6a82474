package dev.overlay.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.util.concurrent.FastThreadLocalThread;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The threads that allocate packet buffers are Netty FastThreadLocalThreads: Netty 4.2 recycles
 * a pooled ByteBuf's object and keeps a per-thread cache of pool memory only on those, so on any
 * other thread every packet would leave ~100 bytes of garbage and take the arena's lock. And
 * with ESP in UDP over epoll, each worker reads its own socket, steered by SPI: every ESP packet
 * is read by its SA's owner and none is handed on. A worker's own socket reads many datagrams a
 * wake-up (its batch end is where software GRO writes, so a tenant's TSO frame that the sender's
 * UDP train cut in two is joined again); the sockets on the shared I/O thread read one.
 */
class DatapathThreadsTest {
    @TempDir
    Path dir;

    @Test
    void workersAreFastThreadLocalThreadsEachWithItsOwnSteeredSocket() throws Exception {
        GatewayLab lab = new GatewayLab(dir).tenant("blue", 1001, "vxlan", true).tenant("red", 1002, "vxlan", false)
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
            assertEquals(Map.of("esp-worker-0", Underlay.WORKER_READ_DATAGRAMS, "esp-worker-1", Underlay.WORKER_READ_DATAGRAMS,
                    "vxlan", 1, "geneve", 1), lab.gwA.underlayReadBudgets());
            assertEquals(128, Underlay.WORKER_READ_DATAGRAMS, "the default, unless overlay.underlay.worker-read-datagrams says otherwise");
            // Traffic both ways: the kernel puts every ESP packet on its SA owner's socket, so
            // each packet read is run where it was read and none is handed on.
            GatewayLab.FarEnd blueB = lab.end("blue", 1);
            GatewayLab.FarEnd blueA = lab.end("blue", 0);
            try (GatewayLab.Stream ab = new GatewayLab.Stream(blueA, "blue", 200);
                 GatewayLab.Stream ba = new GatewayLab.Stream(blueB, "blue", 200)) {
                TwoGateways.waitFor(() -> blueB.received.get() >= 100 && blueA.received.get() >= 100, "traffic both ways");
            }
            for (Gateway gw : List.of(lab.gwA, lab.gwB)) {
                List<GatewayStats.WorkerSocketStats> sockets = gw.stats().workerSockets();
                assertEquals(2, sockets.size(), sockets::toString);
                assertTrue(sockets.stream().mapToLong(GatewayStats.WorkerSocketStats::ownSa).sum() >= 100, sockets::toString);
                assertEquals(0, sockets.stream().mapToLong(GatewayStats.WorkerSocketStats::handedOn).sum(), sockets::toString);
            }
        }
    }
}
