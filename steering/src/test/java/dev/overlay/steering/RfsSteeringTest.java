package dev.overlay.steering;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RfsSteeringTest {
    private static final int FLOW = 0x5EED_F10A;

    /** A packet of the test flow, and the worker that delivered it. */
    record Delivered(int seq, int worker) {}

    @Test
    void aFlowStaysOnItsWorkerUntilThatQueueHasPassedItsLastPacket() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch open = new CountDownLatch(1);
        List<Delivered> delivered = Collections.synchronizedList(new ArrayList<>());
        WorkerPool pool = WorkerPool.builder("rfs-move").workers(2).build();
        Handoff<Integer> deliver = pool.handoff("deliver", (seq, w) -> {
            if (seq == 1) {
                entered.countDown();
                WorkerPoolTest.await(open);
            }
            delivered.add(new Delivered(seq, w.index()));
        }, seq -> {});
        RfsSteering<Integer> rfs = new RfsSteering<>(deliver, 256);
        RfsSteering.FlowTable table = rfs.newFlowTable();
        pool.start();

        for (int seq = 1; seq <= 5; seq++) {
            assertTrue(rfs.submit(table, FLOW, 0, seq));
        }
        assertTrue(entered.await(5, TimeUnit.SECONDS));
        // The consumer now runs on worker 1, but packets 1-5 are still queued or in hand on 0:
        // moving now would let packet 6 overtake them.
        rfs.recordTransmit(FLOW, 1);
        assertEquals(1, rfs.desiredWorker(FLOW));
        for (int seq = 6; seq <= 10; seq++) {
            assertTrue(rfs.submit(table, FLOW, seq));
        }
        assertEquals(0, table.moves());
        open.countDown();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (deliver.finished(0) < 10 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(10, deliver.finished(0));
        // Worker 0 has passed the flow's last packet: the next one may move.
        assertTrue(rfs.submit(table, FLOW, 11));
        assertEquals(1, table.moves());
        pool.close();

        List<Delivered> expected = new ArrayList<>();
        for (int seq = 1; seq <= 10; seq++) {
            expected.add(new Delivered(seq, 0));
        }
        expected.add(new Delivered(11, 1));
        assertEquals(expected, delivered);
        Threads.assertNoneAlive("rfs-move");
    }

    @Test
    void aNewFlowGoesToItsDesiredWorkerOrElseByItsHash() {
        WorkerPool pool = WorkerPool.builder("rfs-new").workers(4).build();
        List<Delivered> delivered = Collections.synchronizedList(new ArrayList<>());
        Handoff<Integer> deliver = pool.handoff("deliver", (flow, w) -> delivered.add(new Delivered(flow, w.index())), f -> {});
        RfsSteering<Integer> rfs = new RfsSteering<>(deliver, 64);
        RfsSteering.FlowTable table = rfs.newFlowTable();
        rfs.recordTransmit(7, 3);
        assertEquals(-1, rfs.desiredWorker(8));
        rfs.submit(table, 7, 7);
        rfs.submit(table, 8, 8);
        pool.start();
        pool.close();
        delivered.sort((a, b) -> Integer.compare(a.seq(), b.seq()));
        assertEquals(List.of(new Delivered(7, 3), new Delivered(8, SteeringHash.pick(8, 4))), delivered);
    }

    @Test
    void aDroppedMoveLeavesTheFlowWhereItWas() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch open = new CountDownLatch(1);
        List<Delivered> delivered = Collections.synchronizedList(new ArrayList<>());
        List<Integer> released = Collections.synchronizedList(new ArrayList<>());
        WorkerPool pool = WorkerPool.builder("rfs-drop").workers(2).queueCapacity(2).build();
        Handoff<Integer> deliver = pool.handoff("deliver", (seq, w) -> {
            if (w.index() == 1 && seq == 100) {
                entered.countDown();
                WorkerPoolTest.await(open);
            }
            delivered.add(new Delivered(seq, w.index()));
        }, released::add);
        RfsSteering<Integer> rfs = new RfsSteering<>(deliver, 16);
        RfsSteering.FlowTable table = rfs.newFlowTable();
        pool.start();
        // Fill worker 1's queue with another flow so the move target is congested.
        rfs.submit(rfs.newFlowTable(), 42, 1, 100);
        assertTrue(entered.await(5, TimeUnit.SECONDS));
        rfs.submit(rfs.newFlowTable(), 42, 1, 101);
        assertTrue(rfs.submit(table, FLOW, 0, 1));
        while (deliver.finished(0) < 1) {
            Thread.onSpinWait();
        }
        assertEquals(false, rfs.submit(table, FLOW, 1, 2), "worker 1 is full: dropped");
        assertEquals(List.of(2), released);
        assertEquals(0, table.moves());
        open.countDown();
        pool.close();
        assertEquals(1, pool.stats().get(1).drops(SteeringDrop.CONGESTION));
    }
}
