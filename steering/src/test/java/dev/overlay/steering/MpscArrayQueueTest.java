package dev.overlay.steering;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class MpscArrayQueueTest {

    @Test
    void fullQueueRefusesWithoutGrowingAndPositionsCount() {
        MpscArrayQueue<Integer> q = new MpscArrayQueue<>(4);
        for (int i = 0; i < 4; i++) {
            assertEquals(i, q.offer(i));
        }
        assertEquals(-1, q.offer(99));
        assertEquals(4, q.size());
        List<Integer> out = new ArrayList<>();
        assertEquals(2, q.drain(out::add, 2));
        assertEquals(2, q.consumerIndex());
        assertEquals(4, q.offer(4), "a freed slot is reused at the next position");
        assertEquals(5, q.offer(5));
        assertEquals(-1, q.offer(6));
        assertEquals(4, q.drain(out::add, Integer.MAX_VALUE));
        assertEquals(List.of(0, 1, 2, 3, 4, 5), out);
        assertTrue(q.isEmpty());
    }

    @Test
    void capacityMustBeAPowerOfTwo() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new MpscArrayQueue<>(6));
        assertEquals("capacity: 6 (expected: a power of two in [2, 2^30])", e.getMessage());
    }

    @Test
    void consumerIndexCountsOnlyFinishedItems() {
        MpscArrayQueue<Integer> q = new MpscArrayQueue<>(2);
        q.offer(1);
        q.drain(e -> assertEquals(0, q.consumerIndex(), "not finished while being handled"), 1);
        assertEquals(1, q.consumerIndex());
    }

    /** Every item offered is drained once, and each producer's items in the order it offered them. */
    @RepeatedTest(10)
    void concurrentProducersLoseNothingAndKeepTheirOrder() throws Exception {
        int producers = 3;
        int perProducer = 10_000;
        MpscArrayQueue<long[]> q = new MpscArrayQueue<>(64);
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            int id = p;
            threads.add(Thread.ofPlatform().start(() -> {
                await(go);
                for (int s = 0; s < perProducer; s++) {
                    long[] item = {id, s};
                    while (q.offer(item) < 0) {
                        Thread.yield(); // the build machine may have fewer cores than threads here
                    }
                }
            }));
        }
        go.countDown();
        long[] next = new long[producers];
        int seen = 0;
        while (seen < producers * perProducer) {
            int n = q.drain(item -> {
                assertEquals(next[(int) item[0]], item[1], "producer " + item[0] + " out of order");
                next[(int) item[0]]++;
            }, 32);
            seen += n;
            if (n == 0) {
                Thread.yield();
            }
        }
        for (Thread t : threads) {
            t.join();
        }
        assertTrue(q.isEmpty());
        for (long n : next) {
            assertEquals(perProducer, n);
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
