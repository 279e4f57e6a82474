package dev.overlay.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.steering.Handoff;
import dev.overlay.steering.WorkerPool;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * gateway.pin-workers: the kernel's own answer (sched_getaffinity of the thread, and
 * /proc/thread-self/status) says each worker is bound to the CPU it was given.
 */
class CpuAffinityTest {

    @Test
    void aThreadPinnedToACpuRunsOnlyThere() throws Exception {
        int[] allowed = CpuAffinity.allowed();
        assertTrue(allowed.length >= 1 && allowed.length <= Runtime.getRuntime().availableProcessors() + 64,
                () -> "allowed: " + java.util.Arrays.toString(allowed));
        int last = allowed[allowed.length - 1];
        AtomicReference<String> failed = new AtomicReference<>("not run");
        AtomicReference<int[]> after = new AtomicReference<>();
        AtomicReference<String> proc = new AtomicReference<>();
        Thread t = new FastThreadLocalThread(() -> {
            failed.set(CpuAffinity.pinCurrentThread(last));
            after.set(CpuAffinity.allowed());
            try {
                proc.set(java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/thread-self/status")).stream()
                        .filter(l -> l.startsWith("Cpus_allowed_list:")).findFirst().orElse(""));
            } catch (java.io.IOException e) {
                proc.set(e.toString());
            }
        });
        t.start();
        t.join();
        assertNull(failed.get());
        assertArrayEquals(new int[] {last}, after.get());
        assertEquals("Cpus_allowed_list:\t" + last, proc.get());
        assertArrayEquals(allowed, CpuAffinity.allowed(), "the calling thread is untouched");
    }

    @Test
    void pinnedWorkersTakeTheAllowedCpusInTurn() throws Exception {
        int[] allowed = CpuAffinity.allowed();
        int workers = 3;
        AtomicIntegerArray pinned = new AtomicIntegerArray(workers);
        ConcurrentHashMap<Integer, String> seen = new ConcurrentHashMap<>();
        CountDownLatch all = new CountDownLatch(workers);
        EventLog log = new EventLog("cpu-affinity-test");
        try (WorkerPool pool = WorkerPool.builder("pinned").workers(workers)
                .threadFactory(CpuAffinity.pinningThreads(allowed, log, pinned)).build()) {
            Handoff<Integer> h = pool.handoff("where", (item, w) -> {
                seen.put(w.index(), java.util.Arrays.toString(CpuAffinity.allowed()));
                all.countDown();
            }, item -> { });
            pool.start();
            for (int i = 0; i < workers; i++) {
                h.submit(i, i);
            }
            assertTrue(all.await(5, TimeUnit.SECONDS));
        }
        for (int i = 0; i < workers; i++) {
            int cpu = allowed[i % allowed.length];
            assertEquals(cpu, pinned.get(i), "worker " + i);
            assertEquals("[" + cpu + "]", seen.get(i), "worker " + i + " runs on its CPU only");
        }
    }
}
