package dev.overlay.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.steering.Handoff;
import dev.overlay.steering.WorkerPool;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * Workers driving their own Netty event loop ({@link WorkerLoops}): a worker asleep in epoll_wait
 * is woken by a hand-off every time (a lost wake-up would leave an item unhandled until the next
 * datagram, which never comes here), a datagram to a worker's socket is read on that worker's
 * own thread, and the worker's channel is closed when the pool stops.
 */
class WorkerLoopsTest {

    @RepeatedTest(10)
    void aHandOffAlwaysWakesAWorkerAsleepInEpoll() throws Exception {
        WorkerLoops loops = WorkerLoops.of(2);
        AtomicInteger handled = new AtomicInteger();
        try (WorkerPool pool = WorkerPool.builder("loops").workers(2).spinBeforePark(Duration.ZERO)
                .io(loops::io).build()) {
            Handoff<Integer> h = pool.handoff("stage", (item, w) -> handled.incrementAndGet(), item -> { });
            pool.start();
            for (int i = 0; i < 400; i++) {
                assertTrue(h.submit(i % 2, i));
                if (i % 40 == 0) {
                    Thread.sleep(2); // both fall asleep in epoll_wait now and then
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (handled.get() < 400 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(400, handled.get(), "items left unhandled: a wake-up was lost");
            assertTrue(pool.worker(0).wakeUps() + pool.worker(1).wakeUps() > 0, "they did sleep");
        }
    }

    @Test
    void aWorkersSocketIsReadOnItsOwnThreadAndClosedWithThePool() throws Exception {
        WorkerLoops loops = WorkerLoops.of(1);
        ConcurrentLinkedQueue<String> readOn = new ConcurrentLinkedQueue<>();
        CountDownLatch read = new CountDownLatch(1);
        Channel ch;
        WorkerPool pool = WorkerPool.builder("loops-io").workers(1).io(loops::io).build();
        try {
            pool.handoff("stage", (item, w) -> { }, item -> { });
            pool.start();
            ch = new Bootstrap().group(loops.loop(0)).channel(EpollDatagramChannel.class)
                    .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {
                            readOn.add(Thread.currentThread().getName() + " onLoop=" + loops.onLoop(0));
                            read.countDown();
                        }
                    })
                    .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
            try (DatagramSocket s = new DatagramSocket()) {
                s.send(new java.net.DatagramPacket(new byte[] {1, 2, 3}, 3, ch.localAddress()));
            }
            assertTrue(read.await(5, TimeUnit.SECONDS));
            assertEquals("loops-io-worker-0 onLoop=true", readOn.peek());
        } finally {
            pool.close();
        }
        assertTrue(ch.closeFuture().await(2, TimeUnit.SECONDS), "the worker's channel closed with its loop");
        assertTrue(loops.loop(0).isTerminated());
    }
}
