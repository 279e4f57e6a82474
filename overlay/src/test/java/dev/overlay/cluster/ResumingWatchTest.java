package dev.overlay.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.config.ClusterConfig;
import dev.overlay.esp.EspAlgorithm;
import java.net.URI;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** The watch resumes after an etcd member dies and comes back, and reads the whole prefix only after compaction. */
class ResumingWatchTest {

    static ClusterConfig config(List<String> endpoints) {
        return new ClusterConfig(endpoints.stream().map(URI::create).toList(), "/t", Optional.empty(), null,
                EspAlgorithm.AES_GCM_256, 0, 30, 10);
    }

    /** Applies changes and resyncs to a map, as the agent applies them to its state, and records what it saw. */
    static final class Mirror implements ResumingWatch.Handler {
        final Map<String, String> state = new TreeMap<>();
        final List<Long> revisions = new ArrayList<>();

        @Override
        public synchronized void changes(List<ResumingWatch.Change> changes) {
            for (ResumingWatch.Change c : changes) {
                revisions.add(c.modRevision());
                if (c.value() == null) {
                    state.remove(c.key());
                } else {
                    state.put(c.key(), c.value());
                }
            }
        }

        @Override
        public synchronized void resync(Etcd.Range range) {
            state.clear();
            range.entries().forEach(e -> state.put(e.key(), e.value()));
        }

        synchronized Map<String, String> snapshot() {
            return new TreeMap<>(state);
        }
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    interface Call<T> {
        T call() throws Exception;
    }

    /** A request tried again for up to 20 s (a member killed; its successor not yet elected). */
    static <T> T retry(Call<T> call) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try {
                return call.call();
            } catch (java.util.concurrent.ExecutionException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
    }

    @Test
    void aWatchResumesAfterItsMemberRestartsWithoutReplayingOrMissingAnything() throws Exception {
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
        try (LocalEtcd cluster = LocalEtcd.start(Files.createTempDirectory("watch-"), 1, Duration.ofSeconds(30));
             Etcd etcd = new Etcd(config(cluster.endpoints()))) {
            etcd.put("/t/before", "0", 0).get();
            long start = etcd.range("/t/", 0).get().revision();
            Mirror mirror = new Mirror();
            ResumingWatch watch = new ResumingWatch(etcd, "/t/", executor, mirror);
            executor.submit(() -> watch.start(start)).get();
            for (int i = 1; i <= 5; i++) {
                etcd.put("/t/" + i, "v" + i, 0).get();
            }
            await("five changes", () -> mirror.snapshot().size() == 5);
            cluster.kill(0);
            cluster.restart(0, Duration.ofSeconds(30));
            await("etcd back", () -> {
                try {
                    etcd.put("/t/6", "v6", 0).get();
                    return true;
                } catch (Exception e) {
                    return false;
                }
            });
            for (int i = 7; i <= 10; i++) {
                etcd.put("/t/" + i, "v" + i, 0).get();
            }
            etcd.delete("/t/3").get();
            await("the changes after the restart", () -> mirror.snapshot().size() == 9 && mirror.revisions.size() == 11);
            List<Long> seen = List.copyOf(mirror.revisions);
            assertEquals(seen.stream().distinct().sorted().toList(), seen, "each revision once, in order: " + seen);
            assertEquals(start + 1, seen.getFirst(), "nothing before the start, nothing replayed");
            assertEquals(0, watch.resyncs.get());
            assertTrue(!mirror.snapshot().containsKey("/t/before"));
            watch.close();
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void afterCompactionTheWholePrefixIsReadOnceAndTheWatchGoesOnFromThere() throws Exception {
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
        try (LocalEtcd cluster = LocalEtcd.start(Files.createTempDirectory("watch-"), 3, Duration.ofSeconds(30));
             Etcd watching = new Etcd(config(List.of(cluster.endpoint(0))));
             Etcd writer = new Etcd(config(List.of(cluster.endpoint(1))))) {
            writer.put("/t/a", "1", 0).get();
            writer.put("/t/b", "1", 0).get();
            Mirror mirror = new Mirror();
            Etcd.Range initial = watching.range("/t/", 0).get();
            mirror.resync(initial);
            ResumingWatch watch = new ResumingWatch(watching, "/t/", executor, mirror);
            executor.submit(() -> watch.start(initial.revision())).get();
            writer.put("/t/c", "1", 0).get();
            await("c", () -> mirror.snapshot().containsKey("/t/c"));

            cluster.kill(0); // the member the watch talks to
            // The killed member may have led: the first writes wait for the next election.
            retry(() -> writer.delete("/t/a").get());
            retry(() -> writer.put("/t/b", "2", 0).get());
            long last = retry(() -> writer.put("/t/d", "1", 0).get());
            retry(() -> writer.compact(last).get());
            cluster.restart(0, Duration.ofSeconds(30));

            Map<String, String> expected = Map.of("/t/b", "2", "/t/c", "1", "/t/d", "1");
            await("the state after compaction", () -> mirror.snapshot().equals(expected));
            assertEquals(1, watch.resyncs.get());
            writer.put("/t/e", "1", 0).get();
            await("a change after the resync", () -> mirror.snapshot().containsKey("/t/e"));
            assertEquals(1, watch.resyncs.get());
            watch.close();
        } finally {
            executor.shutdownNow();
        }
    }
}
