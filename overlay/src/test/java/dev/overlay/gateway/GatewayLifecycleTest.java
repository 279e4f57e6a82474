package dev.overlay.gateway;

import static dev.overlay.gateway.TwoGateways.frame;
import static dev.overlay.gateway.TwoGateways.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Graceful stop, what is left after it, and the metrics endpoint. */
class GatewayLifecycleTest {
    static final long MAC_1 = GatewayTest.MAC_1;
    static final long MAC_2 = GatewayTest.MAC_2;

    @TempDir
    Path dir;

    /** Collects log records of one logger. */
    static final class Records extends Handler implements AutoCloseable {
        final List<LogRecord> records = new CopyOnWriteArrayList<>();
        private final Logger logger;

        Records(String name) {
            logger = Logger.getLogger(name);
            logger.addHandler(this);
        }

        @Override
        public void publish(LogRecord r) {
            records.add(r);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {
            logger.removeHandler(this);
        }

        String text() {
            StringBuilder sb = new StringBuilder();
            records.forEach(r -> sb.append(r.getMessage()).append('\n'));
            return sb.toString();
        }
    }

    @Test
    void stopDrainsQueuedFramesThenLeavesNoThreadAndNoLeakedBuffer() throws Exception {
        try (Records leaks = new Records("io.netty.util.ResourceLeakDetector")) {
            TwoGateways gws = new TwoGateways(dir, "udp").start();
            try {
                TwoGateways.End blueA = gws.end("blue", 0);
                TwoGateways.End blueB = gws.end("blue", 1);
                int n = 300;
                for (int i = 0; i < n; i++) {
                    blueA.inject(frame(MAC_2, MAC_1, "burst " + i));
                }
                gws.gwA.close(); // at once: the frames still queued on gw-a's workers must go out
                GatewayStats a = gws.gwA.stats();
                assertEquals(n, a.tenant("blue").txFrames());
                assertEquals(n, a.sa("0x00001001", "out").packets(), () -> "drops " + a.drops());
                assertEquals(0, a.totalDrops(), () -> a.drops().toString());
                waitFor(() -> gws.gwB.stats().tenant("blue").rxFrames() == n, "gw-b to receive the whole burst");
                for (int i = 0; i < n; i++) {
                    assertTrue(blueB.take() != null);
                }
                gws.gwA.close(); // idempotent
            } finally {
                gws.close();
            }
            waitFor(() -> Thread.getAllStackTraces().keySet().stream()
                    .noneMatch(t -> t.getName().startsWith("overlay-gw-")), "no gateway thread left");
            // Paranoid leak detection reports a buffer collected unreleased on the next allocation.
            for (int i = 0; i < 5; i++) {
                System.gc();
                Thread.sleep(50);
                ByteBuf probe = PooledByteBufAllocator.DEFAULT.directBuffer(64);
                probe.release();
            }
            assertEquals("", leaks.text(), "Netty's leak detector reported");
        }
    }

    @Test
    void metricsEndpointShowsCountersAndNoKeyMaterial() throws Exception {
        try (Records log = new Records(EventLog.LOGGER.getName());
             TwoGateways gws = new TwoGateways(dir, "udp").start()) {
            TwoGateways.End blueA = gws.end("blue", 0);
            TwoGateways.End blueB = gws.end("blue", 1);
            for (int i = 0; i < 7; i++) {
                blueA.inject(frame(MAC_2, MAC_1, "m" + i));
                assertTrue(blueB.take() != null);
            }
            String a = scrape(gws.gwA);
            String b = scrape(gws.gwB);
            assertEquals(7, value(a, "overlay_tenant_frames_total", "tenant=\"blue\"", "direction=\"tx\""), a);
            assertEquals(7, value(b, "overlay_tenant_frames_total", "tenant=\"blue\"", "direction=\"rx\""), b);
            assertEquals(7, value(a, "overlay_sa_packets_total", "spi=\"0x00001001\"", "direction=\"out\""), a);
            assertEquals(7, value(b, "overlay_sa_packets_total", "spi=\"0x00001001\"", "direction=\"in\""), b);
            assertEquals(1, value(b, "overlay_fdb_entries", "tenant=\"blue\""), b);
            assertEquals(0, value(b, "overlay_underlay_kernel_drops_total", "reason=\"receive-buffer-full\""), b);
            assertEquals(7, value(b, "overlay_port_frames_total", "tenant=\"blue\"", "direction=\"tx\""), b);
            assertEquals(0, value(b, "overlay_port_kernel_drops_total", "port="), b); // pcap ports only
            // udp ports have no reader thread whose queue a worker could take over
            assertEquals(0, value(b, "overlay_port_queues_on_workers", "port="), b);
            assertEquals(0, value(b, "overlay_port_reader_moves_total", "port="), b);
            assertTrue(value(b, "overlay_worker_packets_total", "worker=\"0\"")
                    + value(b, "overlay_worker_packets_total", "worker=\"1\"") >= 7, b);
            // gw-a's port reader handed each frame, one at a time, to a worker parked in between.
            double wakeUps = value(a, "overlay_worker_wakeups_total", "worker=\"0\"")
                    + value(a, "overlay_worker_wakeups_total", "worker=\"1\"");
            assertTrue(wakeUps >= 1 && wakeUps <= value(a, "overlay_worker_packets_total", "worker=\"0\"")
                    + value(a, "overlay_worker_packets_total", "worker=\"1\""), a);
            blueA.inject(TwoGateways.frameDf(MAC_2, MAC_1, "x".repeat(1500))); // larger than blue's MTU, DF
            waitFor(() -> gws.gwA.stats().tenant("blue").pathMtu().fragmentationNeeded() == 1, "the ICMP error");
            assertTrue(blueA.take() != null, "the ICMP error back on blue's port");
            waitFor(() -> gws.gwA.stats().drops("too-big") == 1, "too-big");
            String dropped = scrape(gws.gwA);
            assertEquals(1, value(dropped, "overlay_drops_total", "reason=\"too-big\"", "stage=\"gateway\""), dropped);
            assertEquals(1, value(dropped, "overlay_pmtu_icmp_sent_total", "tenant=\"blue\"",
                    "type=\"fragmentation-needed\""), dropped);
            assertEquals(0, value(dropped, "overlay_pmtu_icmp_sent_total", "tenant=\"blue\"",
                    "type=\"packet-too-big\""), dropped);
            assertEquals(0, value(dropped, "overlay_mss_clamped_total", "tenant=\"blue\"", "direction=\"tx\""), dropped);
            for (String key : List.of(TwoGateways.K_BLUE_AB, TwoGateways.K_BLUE_BA, TwoGateways.K_RED_AB,
                    TwoGateways.K_RED_BA)) {
                String hex = key.substring(2);
                for (String text : List.of(a, b, log.text())) {
                    for (int at = 0; at + 8 <= hex.length(); at += 8) {
                        String piece = hex.substring(at, at + 8);
                        assertFalse(text.toLowerCase(Locale.ROOT).contains(piece), "key bytes " + piece + " exposed");
                    }
                }
            }
        }
    }

    static String scrape(Gateway gw) throws Exception {
        var addr = gw.metricsAddress();
        try (HttpClient client = HttpClient.newHttpClient()) {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://"
                    + addr.getAddress().getHostAddress() + ":" + addr.getPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            return r.body();
        }
    }

    /** The value of the sample of {@code metric} whose labels include all of {@code labels}. */
    static double value(String exposition, String metric, String... labels) {
        Matcher m = Pattern.compile("(?m)^" + metric + "\\{([^}]*)\\} (\\S+)$").matcher(exposition);
        while (m.find()) {
            boolean all = true;
            for (String l : labels) {
                all &= m.group(1).contains(l);
            }
            if (all) {
                return Double.parseDouble(m.group(2));
            }
        }
        throw new AssertionError("no sample " + metric + List.of(labels));
    }
}
