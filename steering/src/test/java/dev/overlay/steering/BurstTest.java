package dev.overlay.steering;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class BurstTest {

    /** Records what each worker handled, in order. */
    static final class Recorder implements Stage<Integer> {
        final List<List<Integer>> byWorker = new ArrayList<>();

        Recorder(int workers) {
            for (int i = 0; i < workers; i++) {
                byWorker.add(new CopyOnWriteArrayList<>());
            }
        }

        @Override
        public void handle(Integer item, Worker worker) {
            byWorker.get(worker.index()).add(item);
        }

        int total() {
            return byWorker.stream().mapToInt(List::size).sum();
        }
    }

    /** Repeated: a worker preempted at the wrong moment once ended with its queue full (about 1 in 1,200 runs). */
    @RepeatedTest(300)
    void itemsAreHandledInSubmissionOrderPerWorker() {
        Recorder rec = new Recorder(2);
        WorkerPool pool = WorkerPool.builder("order").workers(2).build();
        Handoff<Integer> h = pool.handoff("rec", rec, i -> {});
        pool.start();
        Burst<Integer> burst = h.burst();
        List<Integer> want0 = new ArrayList<>();
        List<Integer> want1 = new ArrayList<>();
        for (int round = 0; round < 50; round++) {
            for (int k = 0; k < 20; k++) {
                int item = round * 20 + k;
                int w = (item * 7 / 3) % 2; // an irregular interleaving of the two workers
                assertTrue(burst.submit(w, item));
                (w == 0 ? want0 : want1).add(item);
            }
            burst.flush();
        }
        pool.close();
        assertEquals(want0, rec.byWorker.get(0));
        assertEquals(want1, rec.byWorker.get(1));
        Threads.assertNoneAlive("order");
    }

    @Test
    void aBurstWakesEachParkedWorkerOnceAtFlush() throws Exception {
        Recorder rec = new Recorder(2);
        try (WorkerPool pool = WorkerPool.builder("wake").workers(2).spinBeforePark(Duration.ZERO).build()) {
            Handoff<Integer> h = pool.handoff("rec", rec, i -> {});
            pool.start();
            awaitParked("wake-worker-0", "wake-worker-1");
            Burst<Integer> burst = h.burst();
            for (int i = 0; i < 40; i++) {
                burst.submit(i % 2, i);
            }
            assertEquals(0, pool.worker(0).wakeUps() + pool.worker(1).wakeUps(), "submit alone wakes nobody");
            assertEquals(2, burst.pendingWorkers());
            assertEquals(2, burst.flush(), "one unpark per parked worker");
            assertEquals(0, burst.pendingWorkers());
            awaitHandled(rec, 40);
            assertEquals(1, pool.worker(0).wakeUps());
            assertEquals(1, pool.worker(1).wakeUps());
            assertEquals(0, burst.flush(), "nothing submitted since the last flush");
        }
    }

    @Test
    void aBusyWorkerIsNotUnparked() throws Exception {
        WorkerPoolTest.Gate gate = new WorkerPoolTest.Gate();
        try (WorkerPool pool = WorkerPool.builder("busy").workers(1).spinBeforePark(Duration.ZERO).build()) {
            Handoff<Integer> h = pool.handoff("gate", gate, i -> {});
            pool.start();
            Burst<Integer> burst = h.burst();
            burst.submit(0, 0);
            burst.flush();
            assertTrue(gate.entered.await(5, TimeUnit.SECONDS));
            long before = pool.worker(0).wakeUps();
            burst.submit(0, 1);
            burst.submit(0, 2);
            assertEquals(0, burst.flush(), "the worker is inside its stage, not parked: no system call");
            assertEquals(before, pool.worker(0).wakeUps());
            gate.open.countDown();
        }
        assertEquals(List.of(0, 1, 2), gate.handled);
    }

    @Test
    void aLongBurstWakesItsWorkerWithoutWaitingForFlush() throws Exception {
        Recorder rec = new Recorder(1);
        try (WorkerPool pool = WorkerPool.builder("long").workers(1).spinBeforePark(Duration.ZERO).build()) {
            Handoff<Integer> h = pool.handoff("rec", rec, i -> {});
            pool.start();
            awaitParked("long-worker-0");
            Burst<Integer> burst = h.burst();
            for (int i = 0; i < Burst.WAKE_EVERY; i++) {
                burst.submit(0, i);
            }
            // No flush: the WAKE_EVERY-th item woke the worker, so a parked worker's queue
            // cannot fill up behind a long burst.
            awaitHandled(rec, Burst.WAKE_EVERY);
            assertEquals(1, pool.worker(0).wakeUps());
        }
    }

    @Test
    void fullQueueDropsReleasesAndCountsCongestion() throws Exception {
        WorkerPoolTest.Gate gate = new WorkerPoolTest.Gate();
        List<Integer> released = new CopyOnWriteArrayList<>();
        try (WorkerPool pool = WorkerPool.builder("full").workers(1).queueCapacity(4).build()) {
            Handoff<Integer> h = pool.handoff("gate", gate, released::add);
            pool.start();
            Burst<Integer> burst = h.burst();
            burst.submit(0, 0);
            burst.flush();
            assertTrue(gate.entered.await(5, TimeUnit.SECONDS));
            List<Boolean> accepted = new ArrayList<>();
            for (int i = 1; i < 8; i++) {
                accepted.add(burst.submit(0, i));
            }
            burst.flush();
            assertEquals(List.of(true, true, true, false, false, false, false), accepted);
            assertEquals(List.of(4, 5, 6, 7), released);
            gate.open.countDown();
            pool.close();
            assertEquals(4, pool.stats().get(0).drops(SteeringDrop.CONGESTION));
            assertEquals(4, pool.stats().get(0).packets());
        }
        assertEquals(List.of(0, 1, 2, 3), gate.handled);
    }

    @Test
    void closeHandlesUnflushedItemsAndRefusesLaterOnes() throws Exception {
        Recorder rec = new Recorder(2);
        List<Integer> released = new CopyOnWriteArrayList<>();
        WorkerPool pool = WorkerPool.builder("shut").workers(2).spinBeforePark(Duration.ZERO).build();
        Handoff<Integer> h = pool.handoff("rec", rec, released::add);
        pool.start();
        awaitParked("shut-worker-0", "shut-worker-1");
        Burst<Integer> burst = h.burst();
        for (int i = 0; i < 6; i++) {
            burst.submit(i % 2, i);
        }
        pool.close(); // never flushed: close wakes every worker, which finishes its queue
        assertEquals(List.of(0, 2, 4), rec.byWorker.get(0));
        assertEquals(List.of(1, 3, 5), rec.byWorker.get(1));
        assertFalse(burst.submit(1, 6));
        assertEquals(List.of(6), released);
        assertEquals(1, pool.stats().get(1).drops(SteeringDrop.SHUTDOWN));
        burst.flush(); // harmless after close
        Threads.assertNoneAlive("shut");
    }

    @Test
    void outOfRangeWorkerIsRefusedWithoutTakingTheItem() {
        try (WorkerPool pool = WorkerPool.builder("range").workers(2).build()) {
            List<Integer> released = new CopyOnWriteArrayList<>();
            Handoff<Integer> h = pool.<Integer>handoff("h", (i, w) -> {}, released::add);
            Burst<Integer> burst = h.burst();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> burst.submit(2, 1));
            assertEquals("worker: 2 (expected: 0 to 1)", e.getMessage());
            assertEquals(List.of(), released);
            assertEquals(0, burst.pendingWorkers());
        }
    }

    static void awaitParked(String... names) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        for (String name : names) {
            while (Threads.state(name) != Thread.State.WAITING) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError(name + " did not park: " + Threads.state(name));
                }
                Thread.sleep(1);
            }
        }
    }

    static void awaitHandled(Recorder rec, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (rec.total() < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("handled " + rec.total() + " of " + n);
            }
            Thread.sleep(1);
        }
    }

    static void await(CountDownLatch latch) throws InterruptedException {
        assertTrue(latch.await(5, TimeUnit.SECONDS));
    }
}
