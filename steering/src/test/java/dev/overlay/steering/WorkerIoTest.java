package dev.overlay.steering;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * Workers that drive their own I/O ({@link WorkerIo}): the I/O is polled and stopped on the
 * worker's own thread, a hand-off wakes a worker sleeping in the I/O's await, and no wake-up is
 * lost when a submit races the worker going to sleep (the await re-checks {@code idle}).
 */
class WorkerIoTest {

    /** I/O whose "events" are strings offered from the test; await sleeps until woken or events arrive. */
    static class FakeIo implements WorkerIo {
        final ConcurrentLinkedQueue<String> events = new ConcurrentLinkedQueue<>();
        final List<String> handledOn = new CopyOnWriteArrayList<>();
        final CountDownLatch stopped = new CountDownLatch(1);
        volatile Thread owner;
        volatile Worker worker;
        volatile boolean armed;
        volatile int awaits;
        BooleanSupplier idle;

        @Override
        public void start(Worker w, BooleanSupplier idle) {
            this.worker = w;
            this.owner = Thread.currentThread();
            this.idle = idle;
        }

        @Override
        public int poll() {
            int n = 0;
            for (String e; (e = events.poll()) != null; n++) {
                handledOn.add(e + "@" + (Thread.currentThread() == owner && worker.isCurrentThread()));
            }
            return n;
        }

        @Override
        public void await() {
            awaits++;
            armed = true;
            // As epoll does: arm, then re-check before blocking.
            while (armed && events.isEmpty() && idle.getAsBoolean()) {
                LockSupport.parkNanos(this, 1_000_000);
            }
            armed = false;
        }

        @Override
        public void wakeup() {
            armed = false;
            Thread t = owner;
            if (t != null) {
                LockSupport.unpark(t);
            }
        }

        @Override
        public void stop() {
            handledOn.add("stop@" + (Thread.currentThread() == owner));
            stopped.countDown();
        }
    }

    @Test
    void ioIsPolledAndStoppedOnTheWorkersOwnThread() throws Exception {
        FakeIo io = new FakeIo();
        CopyOnWriteArrayList<Integer> handled = new CopyOnWriteArrayList<>();
        WorkerPool pool = WorkerPool.builder("io").workers(1).spinBeforePark(Duration.ZERO).io(i -> io).build();
        Handoff<Integer> h = pool.handoff("stage", (item, w) -> handled.add(item), item -> { });
        pool.start();
        io.events.add("datagram-1");
        io.wakeup();
        assertTrue(h.submit(0, 7));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while ((handled.isEmpty() || io.handledOn.isEmpty()) && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        pool.close();
        assertTrue(io.stopped.await(1, TimeUnit.SECONDS));
        assertEquals(List.of(7), handled);
        assertEquals(List.of("datagram-1@true", "stop@true"), io.handledOn);
    }

    /** A worker asleep in await, then a burst of submits from another thread: every item handled, none waits forever. */
    @RepeatedTest(20)
    void aSubmitWakesAWorkerAsleepInItsIo() throws Exception {
        FakeIo io = new FakeIo();
        CountDownLatch all = new CountDownLatch(1000);
        try (WorkerPool pool = WorkerPool.builder("io-wake").workers(1).spinBeforePark(Duration.ZERO)
                .io(i -> io).build()) {
            Handoff<Integer> h = pool.handoff("stage", (item, w) -> all.countDown(), item -> { });
            pool.start();
            for (int i = 0; i < 1000; i++) {
                while (!h.submit(0, i)) {
                    Thread.onSpinWait();
                }
                if (i % 100 == 0) {
                    Thread.sleep(1); // let it fall asleep between some of them
                }
            }
            assertTrue(all.await(5, TimeUnit.SECONDS), () -> all.getCount() + " items never handled");
        }
        assertTrue(io.awaits > 0, "the worker slept in the I/O's await, not in a park of its own");
    }

    /** runOrSubmit: inline on the owner's thread when its queue is empty, behind the queue otherwise; order kept, counted. */
    @Test
    void runOrSubmitRunsInlineOnlyBehindAnEmptyQueue() throws Exception {
        ConcurrentLinkedQueue<Runnable> onWorker = new ConcurrentLinkedQueue<>();
        FakeIo io = new FakeIo() {
            @Override
            public int poll() {
                int n = 0;
                for (Runnable r; (r = onWorker.poll()) != null; n++) {
                    r.run();
                }
                return n + super.poll();
            }
        };
        List<String> handled = new CopyOnWriteArrayList<>();
        List<String> batchEnds = new CopyOnWriteArrayList<>();
        CountDownLatch gate = new CountDownLatch(1);
        CountDownLatch finished = new CountDownLatch(1);
        try (WorkerPool pool = WorkerPool.builder("inline").workers(1).spinBeforePark(Duration.ZERO).io(i -> io).build()) {
            Handoff<String> h = pool.handoff("stage", new Stage<>() {
                @Override
                public void handle(String item, Worker w) {
                    handled.add(item);
                }

                @Override
                public void batchEnd(Worker w) {
                    batchEnds.add(String.join(",", handled));
                }
            }, item -> { });
            pool.start();
            Worker w = pool.worker(0);
            assertThrows(IllegalStateException.class, () -> h.runOrSubmit(w, "from-elsewhere"));
            // On the worker: "a" runs at once; then, with "queued" waiting in the queue (submitted
            // from here while the worker is held), "b" goes behind it rather than overtaking it.
            onWorker.add(() -> {
                assertTrue(h.runOrSubmit(w, "a"));
                h.endInline(w);
                await(gate);
            });
            io.wakeup();
            while (batchEnds.isEmpty()) {
                Thread.onSpinWait();
            }
            assertTrue(h.submit(0, "queued"));
            onWorker.add(() -> {
                assertTrue(h.runOrSubmit(w, "b"));
                h.endInline(w);
                finished.countDown();
            });
            gate.countDown();
            assertTrue(finished.await(5, TimeUnit.SECONDS));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (handled.size() < 3 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(List.of("a", "queued", "b"), handled);
            assertEquals("a", batchEnds.get(0));
            assertEquals(3, pool.stats().get(0).packets());
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            assertTrue(latch.await(5, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
