package dev.overlay.steering;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {

    /** A stage that blocks on its first item until released, so queues can be filled on purpose. */
    static final class Gate implements Stage<Integer> {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch open = new CountDownLatch(1);
        final List<Integer> handled = new CopyOnWriteArrayList<>();

        @Override
        public void handle(Integer item, Worker worker) {
            entered.countDown();
            await(open);
            handled.add(item);
        }
    }

    /** submitWaiting: a full queue makes the producer wait for room (nothing dropped), up to its bound. */
    @Test
    void aWaitingProducerIsHeldByAFullQueueInsteadOfDroppingThenDropsAtItsBound() throws Exception {
        Gate gate = new Gate();
        List<Integer> released = new CopyOnWriteArrayList<>();
        try (WorkerPool pool = WorkerPool.builder("wait").workers(1).queueCapacity(4).build()) {
            Handoff<Integer> h = pool.handoff("gate", gate, released::add);
            pool.start();
            assertTrue(h.submit(0, 0));
            assertTrue(gate.entered.await(5, TimeUnit.SECONDS));
            for (int i = 1; i < 4; i++) {
                assertTrue(h.submit(0, i));
            }
            // Full, and the stage is stuck: the bound expires, the item is dropped and counted.
            long t0 = System.nanoTime();
            assertFalse(h.submitWaiting(0, 4, TimeUnit.MILLISECONDS.toNanos(20)));
            assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(20), "it waited its bound");
            assertEquals(List.of(4), released);
            // Full again, but the stage resumes meanwhile: the producer gets in, nothing is dropped.
            Thread opener = Thread.ofPlatform().start(() -> {
                try {
                    Thread.sleep(30);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                gate.open.countDown();
            });
            assertTrue(h.submitWaiting(0, 5, TimeUnit.SECONDS.toNanos(5)));
            opener.join();
            pool.close();
            assertEquals(List.of(0, 1, 2, 3, 5), gate.handled);
            assertEquals(1, pool.stats().get(0).drops(SteeringDrop.CONGESTION));
        }
    }

    /**
     * Items that carry several packets (countOf): counted as packets when handled and dropped;
     * submitWithin waits while its limit of items is queued, then declines (the item stays the
     * caller's), and a full queue still drops.
     */
    @Test
    void itemsOfSeveralPacketsAreCountedAsPacketsAndALimitDeclinesWhatItCannotQueue() throws Exception {
        Gate gate = new Gate();
        List<Integer> released = new CopyOnWriteArrayList<>();
        try (WorkerPool pool = WorkerPool.builder("packets").workers(1).queueCapacity(4).build()) {
            // Item i carries i packets of 10 bytes each.
            Handoff<Integer> h = pool.handoff("gate", gate, released::add, item -> 10 * item, item -> item);
            assertEquals(4, h.capacity());
            pool.start();
            assertTrue(h.submit(0, 1));
            assertTrue(gate.entered.await(5, TimeUnit.SECONDS));
            // Item 1 is being handled and holds its slot: a limit of 3 leaves room for two more.
            assertEquals(Handoff.Submitted.QUEUED, h.submitWithin(0, 5, 0, 3));
            assertEquals(Handoff.Submitted.QUEUED, h.submitWithin(0, 7, 0, 3));
            long t0 = System.nanoTime();
            assertEquals(Handoff.Submitted.DECLINED, h.submitWithin(0, 11, TimeUnit.MILLISECONDS.toNanos(20), 3));
            assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(20), "it waited its bound");
            assertEquals(List.of(), released, "a declined item is not taken");
            assertTrue(h.submit(0, 2), "the limit binds only the producer that gives it");
            assertEquals(Handoff.Submitted.DROPPED, h.submitWithin(0, 13, 0, 8), "the queue itself is full");
            assertEquals(List.of(13), released);
            assertThrows(IllegalArgumentException.class, () -> h.submitWithin(0, 1, 0, 0));
            gate.open.countDown();
            pool.close();
            WorkerStats s = pool.stats().get(0);
            assertEquals(1 + 5 + 7 + 2, s.packets());
            assertEquals(10 * (1 + 5 + 7 + 2), s.bytes());
            assertEquals(13, s.drops(SteeringDrop.CONGESTION), "the dropped item's packets");
            assertEquals(List.of(1, 5, 7, 2), gate.handled);
        }
        Threads.assertNoneAlive("packets");
    }

    @Test
    void fullQueueDropsReleasesAndCountsCongestionWithoutBlocking() throws Exception {
        Gate gate = new Gate();
        List<Integer> released = new CopyOnWriteArrayList<>();
        try (WorkerPool pool = WorkerPool.builder("congest").workers(1).queueCapacity(4).build()) {
            Handoff<Integer> h = pool.handoff("gate", gate, released::add, item -> 100);
            pool.start();
            assertTrue(h.submit(0, 0));
            assertTrue(gate.entered.await(5, TimeUnit.SECONDS));
            // Item 0 is being handled and still holds its slot: room for three more.
            List<Boolean> accepted = new ArrayList<>();
            for (int i = 1; i < 10; i++) {
                accepted.add(h.submit(0, i));
            }
            assertEquals(List.of(true, true, true, false, false, false, false, false, false), accepted);
            assertEquals(List.of(4, 5, 6, 7, 8, 9), released);
            gate.open.countDown();
            pool.close();
            WorkerStats s = pool.stats().get(0);
            assertEquals(4, s.packets());
            assertEquals(400, s.bytes());
            assertEquals(6, s.drops(SteeringDrop.CONGESTION));
            assertEquals(6, s.dropped());
            assertEquals(List.of(0, 1, 2, 3), gate.handled);
        }
        Threads.assertNoneAlive("congest");
    }

    @Test
    void closeHandlesWhatIsQueuedAndRefusesWhatComesAfter() throws Exception {
        Gate gate = new Gate();
        List<Integer> released = new CopyOnWriteArrayList<>();
        WorkerPool pool = WorkerPool.builder("drain").workers(2).build();
        Handoff<Integer> h = pool.handoff("gate", gate, released::add);
        pool.start();
        h.submit(1, 0);
        assertTrue(gate.entered.await(5, TimeUnit.SECONDS));
        h.submit(1, 1);
        h.submit(1, 2);
        Thread closer = Thread.ofPlatform().start(pool::close);
        while (!pool.isClosed()) {
            Thread.onSpinWait();
        }
        assertFalse(h.submit(1, 3));
        gate.open.countDown();
        closer.join(5_000);
        assertFalse(closer.isAlive());
        assertEquals(List.of(0, 1, 2), gate.handled);
        assertEquals(List.of(3), released);
        assertEquals(1, pool.stats().get(1).drops(SteeringDrop.SHUTDOWN));
        pool.close(); // idempotent
        Threads.assertNoneAlive("drain");
    }

    /**
     * Producers racing close(): every item given to submit is either handled or released,
     * exactly once, whatever the interleaving, and no thread survives.
     */
    @RepeatedTest(25)
    void itemsRacingCloseAreHandledOrReleasedExactlyOnce() throws Exception {
        Set<Integer> handled = ConcurrentHashMap.newKeySet();
        Set<Integer> released = ConcurrentHashMap.newKeySet();
        AtomicInteger duplicates = new AtomicInteger();
        WorkerPool pool = WorkerPool.builder("race").workers(2).queueCapacity(32).build();
        Handoff<Integer> h = pool.handoff("record", (item, w) -> {
            if (!handled.add(item)) {
                duplicates.incrementAndGet();
            }
        }, item -> {
            if (!released.add(item)) {
                duplicates.incrementAndGet();
            }
        });
        pool.start();
        int producers = 2;
        int perProducer = 5_000;
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            int base = p * perProducer;
            threads.add(Thread.ofPlatform().start(() -> {
                await(go);
                for (int i = 0; i < perProducer; i++) {
                    h.submit(i & 1, base + i);
                }
            }));
        }
        go.countDown();
        Thread.sleep(1);
        pool.close();
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(0, duplicates.get());
        Set<Integer> all = new HashSet<>(handled);
        all.addAll(released);
        assertEquals(producers * perProducer, all.size());
        assertEquals(producers * perProducer, handled.size() + released.size(), "handled and released overlap");
        long counted = pool.stats().stream().mapToLong(s -> s.packets() + s.dropped()).sum();
        assertEquals(producers * perProducer, counted, "in == packets + drops");
        Threads.assertNoneAlive("race");
    }

    @Test
    void throwingStageIsCountedAndTheWorkerKeepsGoing() {
        List<Integer> handled = new CopyOnWriteArrayList<>();
        WorkerPool pool = WorkerPool.builder("throw").workers(1).build();
        Handoff<Integer> h = pool.handoff("bug", (item, w) -> {
            if (item == 2) {
                throw new IllegalStateException("test bug");
            }
            handled.add(item);
        }, item -> {});
        pool.start();
        for (int i = 0; i < 5; i++) {
            h.submit(0, i);
        }
        pool.close();
        assertEquals(List.of(0, 1, 3, 4), handled);
        assertEquals(1, pool.stats().get(0).drops(SteeringDrop.STAGE_FAILED));
        assertEquals(4, pool.stats().get(0).packets());
    }

    @Test
    void batchEndRunsOnTheWorkerAfterItsItems() {
        List<String> events = new CopyOnWriteArrayList<>();
        WorkerPool pool = WorkerPool.builder("batch").workers(1).batchSize(8).build();
        Handoff<Integer> h = pool.handoff("send", new Stage<Integer>() {
            @Override
            public void handle(Integer item, Worker worker) {
                events.add("item" + item);
            }

            @Override
            public void batchEnd(Worker worker) {
                assertTrue(worker.isCurrentThread());
                events.add("flush");
            }
        }, item -> {});
        h.submit(0, 1); // before start: queued, handled once the worker runs
        h.submit(0, 2);
        pool.start();
        pool.close();
        assertEquals(List.of("item1", "item2", "flush"), events);
    }

    @Test
    void threadFactoryHookCreatesEveryWorkerThread() {
        List<String> made = new CopyOnWriteArrayList<>();
        WorkerPool pool = WorkerPool.builder("pinned").workers(3)
                .threadFactory((name, index, body) -> {
                    made.add(index + ":" + name);
                    return Thread.ofPlatform().name(name).unstarted(body);
                }).build();
        pool.start();
        assertEquals(3, Threads.alive("pinned-worker-").size());
        pool.close();
        assertEquals(List.of("0:pinned-worker-0", "1:pinned-worker-1", "2:pinned-worker-2"), made);
        Threads.assertNoneAlive("pinned");
    }

    @Test
    void idleWorkersParkAndWakeForNewItems() throws Exception {
        CountDownLatch got = new CountDownLatch(1);
        try (WorkerPool pool = WorkerPool.builder("park").workers(1).build()) {
            Handoff<Integer> h = pool.handoff("one", (item, w) -> got.countDown(), item -> {});
            pool.start();
            Thread worker = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (System.nanoTime() < deadline) {
                worker = Thread.getAllStackTraces().keySet().stream()
                        .filter(t -> t.getName().equals("park-worker-0")).findFirst().orElseThrow();
                if (worker.getState() == Thread.State.WAITING) {
                    break;
                }
                Thread.sleep(1);
            }
            assertEquals(Thread.State.WAITING, worker.getState(), "an idle worker parks instead of spinning");
            h.submit(0, 1);
            assertTrue(got.await(5, TimeUnit.SECONDS));
        }
    }

    /**
     * The spin window is bounded: after a burst an idle pool's workers park (WAITING, not
     * RUNNABLE) and then take no CPU time, so an idle gateway does not burn a core.
     */
    @Test
    void anIdlePoolParksAfterItsSpinWindowAndBurnsNoCpu() throws Exception {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        CountDownLatch got = new CountDownLatch(2);
        try (WorkerPool pool = WorkerPool.builder("idle").workers(2)
                .spinBeforePark(WorkerPool.DEFAULT_SPIN_BEFORE_PARK).build()) {
            Handoff<Integer> h = pool.handoff("one", (item, w) -> got.countDown(), item -> {});
            pool.start();
            h.submit(0, 1);
            h.submit(1, 2);
            assertTrue(got.await(5, TimeUnit.SECONDS));
            Thread.sleep(100); // 2000 spin windows
            BurstTest.awaitParked("idle-worker-0", "idle-worker-1"); // at once unless the machine is starved
            long[] cpu = new long[2];
            for (int i = 0; i < 2; i++) {
                cpu[i] = mx.getThreadCpuTime(Threads.thread("idle-worker-" + i).threadId());
            }
            Thread.sleep(200);
            for (int i = 0; i < 2; i++) {
                Thread t = Threads.thread("idle-worker-" + i);
                assertEquals(Thread.State.WAITING, t.getState());
                long used = mx.getThreadCpuTime(t.threadId()) - cpu[i];
                assertTrue(used < TimeUnit.MILLISECONDS.toNanos(5), "idle worker " + i + " used " + used + " ns of CPU in 200 ms");
            }
        }
    }

    @Test
    void misuseIsRefusedWithTheValueAndTheExpectation() {
        IllegalArgumentException spin = assertThrows(IllegalArgumentException.class,
                () -> WorkerPool.builder("x").spinBeforePark(Duration.ofMillis(11)));
        assertEquals("spinBeforePark: PT0.011S (expected: 0 to PT0.01S)", spin.getMessage());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WorkerPool.builder("x").workers(0));
        assertEquals("workers: 0 (expected: 1 to 1024)", e.getMessage());
        try (WorkerPool pool = WorkerPool.builder("misuse").workers(2).closeTimeout(Duration.ofSeconds(1)).build()) {
            Handoff<Integer> h = pool.handoff("h", (i, w) -> {}, i -> {});
            e = assertThrows(IllegalArgumentException.class, () -> h.submit(2, 1));
            assertEquals("worker: 2 (expected: 0 to 1)", e.getMessage());
            pool.start();
            assertThrows(IllegalStateException.class, () -> pool.handoff("late", (i, w) -> {}, i -> {}));
            assertThrows(IllegalStateException.class, pool::start);
        }
    }

    static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
