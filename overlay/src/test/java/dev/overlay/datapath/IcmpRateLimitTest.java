package dev.overlay.datapath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The tenant's ICMP token bucket: 1,000 a second with bursts of 50, on a clock the test moves. */
class IcmpRateLimitTest {

    @Test
    void aBurstOfFiftyThenOneAMillisecond() {
        AtomicLong now = new AtomicLong(5_000_000_000L);
        IcmpRateLimit limit = new IcmpRateLimit(now::get);
        for (int i = 0; i < IcmpRateLimit.BURST; i++) {
            assertTrue(limit.tryAcquire(), "token " + i + " of the burst");
        }
        assertFalse(limit.tryAcquire(), "the bucket is empty");
        now.addAndGet(999_999);
        assertFalse(limit.tryAcquire(), "not yet a millisecond");
        now.addAndGet(1);
        assertTrue(limit.tryAcquire(), "one token a millisecond");
        assertFalse(limit.tryAcquire());
        now.addAndGet(10_000_000);
        for (int i = 0; i < 10; i++) {
            assertTrue(limit.tryAcquire(), "10 ms bring 10 tokens back");
        }
        assertFalse(limit.tryAcquire());
        now.addAndGet(3_600_000_000_000L);
        int taken = 0;
        while (limit.tryAcquire()) {
            taken++;
        }
        assertEquals(IcmpRateLimit.BURST, taken, "an idle hour refills the bucket to its burst, no more");
    }

    @Test
    void overOneSecondAtMostRatePlusBurst() {
        AtomicLong now = new AtomicLong();
        IcmpRateLimit limit = new IcmpRateLimit(now::get);
        int sent = 0;
        for (int i = 0; i < 100_000; i++) { // 100,000 attempts spread evenly over one second
            now.set(i * 10_000L);
            sent += limit.tryAcquire() ? 1 : 0;
        }
        assertTrue(sent >= IcmpRateLimit.RATE && sent <= IcmpRateLimit.RATE + IcmpRateLimit.BURST, "sent " + sent);
    }

    @Test
    void threadsTogetherNeverTakeMoreThanTheBucketHolds() throws Exception {
        AtomicLong now = new AtomicLong(1);
        IcmpRateLimit limit = new IcmpRateLimit(1000, 500, now::get);
        AtomicInteger taken = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 10_000; i++) {
                    taken.addAndGet(limit.tryAcquire() ? 1 : 0);
                }
            });
        }
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(500, taken.get(), "the clock stood still: exactly the burst");
    }

    @Test
    void misuseIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new IcmpRateLimit(0, 1, System::nanoTime));
        assertThrows(IllegalArgumentException.class, () -> new IcmpRateLimit(1, 0, System::nanoTime));
    }
}
