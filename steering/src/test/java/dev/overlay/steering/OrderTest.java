package dev.overlay.steering;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * The rx pipeline's shape with sequence-tagged packets: producers (receive threads) steer by
 * SPI to the SA's owner ({@code esp-decrypt}), which hands each inner flow on by RFS
 * ({@code deliver}) while another thread keeps changing where each flow's consumer runs. Per SA
 * and per inner flow, packets must come out in the order they went in (gaps are congestion
 * drops, which are counted), each SA on exactly one worker.
 */
class OrderTest {

    /** One packet: its SA and inner flow, and its place in each. */
    record Packet(int sa, int spi, int flow, long saSeq, long flowSeq) {}

    @Property(tries = 12)
    void perSaAndPerFlowOrderSurvivesContentionAndMigration(
            @ForAll @IntRange(min = 1, max = 4) int workers,
            @ForAll @IntRange(min = 1, max = 3) int producers,
            @ForAll @IntRange(min = 1, max = 6) int sasPerProducer,
            @ForAll @IntRange(min = 1, max = 6) int flowsPerSa,
            @ForAll @IntRange(min = 4, max = 256) int capacity,
            @ForAll long seed) throws Exception {
        int sas = producers * sasPerProducer;
        int flows = sas * flowsPerSa;
        int perProducer = 30_000;

        SpiDispatcher spis = new SpiDispatcher(workers);
        int[] spiOf = new int[sas];
        for (int sa = 0; sa < sas; sa++) {
            spiOf[sa] = 0x1000 + sa; // sequential, as configs write them
            spis.assign(SpiDispatcher.Direction.IN, spiOf[sa]);
        }
        AtomicLongArray lastSaSeq = filled(sas);
        AtomicLongArray lastFlowSeq = filled(flows);
        AtomicIntegerArray saWorker = new AtomicIntegerArray(sas);
        AtomicLong violations = new AtomicLong();
        AtomicLong released = new AtomicLong();

        WorkerPool pool = WorkerPool.builder("order").workers(workers).queueCapacity(capacity).batchSize(16).build();
        Handoff<Packet> deliver = pool.handoff("deliver", (p, w) -> {
            if (lastFlowSeq.getAndSet(p.flow(), p.flowSeq()) >= p.flowSeq()) {
                violations.incrementAndGet();
            }
        }, p -> released.incrementAndGet());
        RfsSteering<Packet> rfs = new RfsSteering<>(deliver, 64);
        RfsSteering.FlowTable[] tables = new RfsSteering.FlowTable[workers];
        for (int i = 0; i < workers; i++) {
            tables[i] = rfs.newFlowTable(); // one per decrypting worker: the table's single writer
        }
        Handoff<Packet> decrypt = pool.handoff("esp-decrypt", (p, w) -> {
            // Exactly one owner: the first worker to see the SA must be the only one.
            saWorker.compareAndSet(p.sa(), 0, w.index() + 1);
            if (saWorker.get(p.sa()) != w.index() + 1 || lastSaSeq.getAndSet(p.sa(), p.saSeq()) >= p.saSeq()) {
                violations.incrementAndGet();
            }
            rfs.submit(tables[w.index()], p.flow(), p);
        }, p -> released.incrementAndGet());
        pool.start();

        // Bursts with lulls, as real traffic has: a backlogged flow never moves (its old queue
        // never passes its last packet), so at each lull the producers wait for the pool to go
        // idle and the consumers of random flows move; the transmitter below also moves them
        // at random during the bursts, racing the steering.
        AtomicLong offered = new AtomicLong();
        SplittableRandom lullRandom = new SplittableRandom(seed ^ 0x5A5A);
        CyclicBarrier lull = new CyclicBarrier(producers, () -> {
            offered.addAndGet(1000L * producers);
            while (sum(decrypt.stats(), true) + sum(decrypt.stats(), false) != offered.get()
                    || sum(decrypt.stats(), true) != sum(deliver.stats(), true) + sum(deliver.stats(), false)) {
                Thread.yield();
            }
            for (int f = 0; f < flows; f++) {
                rfs.recordTransmit(f, lullRandom.nextInt(workers));
            }
        });
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int pr = 0; pr < producers; pr++) {
            int first = pr * sasPerProducer;
            SplittableRandom random = new SplittableRandom(seed + pr);
            threads.add(Thread.ofPlatform().start(() -> {
                WorkerPoolTest.await(go);
                long[] saSeq = new long[sasPerProducer];
                long[] flowSeq = new long[sasPerProducer * flowsPerSa];
                for (int i = 0; i < perProducer; i++) {
                    int s = random.nextInt(sasPerProducer);
                    int f = s * flowsPerSa + random.nextInt(flowsPerSa);
                    int sa = first + s;
                    Packet p = new Packet(sa, spiOf[sa], first * flowsPerSa + f, saSeq[s]++, flowSeq[f]++);
                    decrypt.submit(spis.workerFor(p.spi()), p);
                    if (i % 1000 == 999) {
                        await(lull);
                    }
                }
            }));
        }
        Thread transmitter = Thread.ofPlatform().start(() -> {
            SplittableRandom random = new SplittableRandom(seed);
            WorkerPoolTest.await(go);
            while (!Thread.currentThread().isInterrupted()) {
                rfs.recordTransmit(random.nextInt(flows), random.nextInt(workers));
                Thread.yield();
            }
        });
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
        pool.close();
        transmitter.interrupt();
        transmitter.join();

        assertEquals(0, violations.get(), "packets out of order or an SA on two workers");
        long produced = (long) producers * perProducer;
        long decrypted = sum(decrypt.stats(), true);
        assertEquals(produced, decrypted + sum(decrypt.stats(), false), "decrypt: in == out + drops");
        assertEquals(decrypted, sum(deliver.stats(), true) + sum(deliver.stats(), false), "deliver: in == out + drops");
        assertEquals(sum(decrypt.stats(), false) + sum(deliver.stats(), false), released.get(), "every drop released");
        if (workers > 1) {
            long moves = 0;
            for (RfsSteering.FlowTable t : tables) {
                moves += t.moves();
            }
            assertTrue(moves > 0, "the run exercised migration");
        }
        Threads.assertNoneAlive("order");
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await();
        } catch (InterruptedException | BrokenBarrierException e) {
            throw new AssertionError(e);
        }
    }

    private static AtomicLongArray filled(int n) {
        AtomicLongArray a = new AtomicLongArray(n);
        for (int i = 0; i < n; i++) {
            a.set(i, -1);
        }
        return a;
    }

    private static long sum(List<WorkerStats> stats, boolean handled) {
        return stats.stream().mapToLong(s -> handled ? s.packets() : s.dropped()).sum();
    }
}
