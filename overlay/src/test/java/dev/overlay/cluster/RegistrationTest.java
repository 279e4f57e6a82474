package dev.overlay.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.gateway.EventLog;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/** etcd out of reach is said at once, then once a minute while it lasts, and its end once. */
class RegistrationTest {

    @Test
    void unreachableIsLoggedOnceAMinuteAndReachableOnce() throws IOException {
        List<String> lines = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getMessage().contains("gateway=gw-t ")) {
                    lines.add(r.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger logger = Logger.getLogger("dev.overlay.gateway");
        logger.addHandler(capture);
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
        int[] reachable = {0};
        try (Etcd etcd = new Etcd(ResumingWatchTest.config(List.of("http://127.0.0.1:9")))) {
            Registration r = new Registration(etcd, new ClusterKeys("/t"), "gw-t", 10, executor, new EventLog("gw-t"),
                    new Registration.Listener() {
                        @Override
                        public void registered(long lease, int id) {
                        }

                        @Override
                        public void reachable() {
                            reachable[0]++;
                        }
                    });
            long[] now = {1_000_000_000_000L};
            r.clock = () -> now[0];
            TimeoutException failure = new TimeoutException();
            for (int s = 0; s < 59; s++) { // a failed renewal every second for 59 s
                r.failed(failure);
                now[0] += TimeUnit.SECONDS.toNanos(1);
            }
            assertEquals(1, r.unreachableLogs);
            now[0] += TimeUnit.SECONDS.toNanos(1);
            r.failed(failure);
            assertEquals(2, r.unreachableLogs, "again after a minute");
            r.succeeded();
            r.succeeded();
            assertEquals(1, reachable[0]);
            r.failed(failure);
            assertEquals(3, r.unreachableLogs, "a new outage is said at once");
            long down = lines.stream().filter(l -> l.contains("event=cluster-etcd-unreachable")).count();
            long up = lines.stream().filter(l -> l.contains("event=cluster-etcd-reachable")).count();
            assertEquals(3, down);
            assertEquals(1, up);
            assertTrue(lines.get(0).contains("reason=\"no answer within 3s\""), lines.get(0));
            assertTrue(lines.get(1).contains("for=60s"), lines.get(1));
        } finally {
            logger.removeHandler(capture);
            executor.shutdownNow();
        }
    }
}
