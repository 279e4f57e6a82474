package dev.overlay.cluster;

import static dev.overlay.cluster.ClusterLab.await;
import static dev.overlay.cluster.ClusterLab.frame;
import static dev.overlay.cluster.ClusterLab.payload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.gateway.GatewayStats;
import dev.overlay.vtep.MacAddress;
import java.time.Duration;
import dev.overlay.config.OverlayConfig;
import dev.overlay.config.SaConfig;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * SA rollover through etcd loses nothing: each receiver installs its next generation's inbound
 * SAs before it publishes the generation, senders switch only when they see it, and the old
 * generation stays for the grace period. Counted streams both ways while every gateway rolls
 * every two seconds; and one rollover of all gateways at an operator's {@code etcdctl put}.
 */
class ClusterRolloverTest {

    /** Sends {@code count} numbered frames from {@code src} to {@code dst} at about {@code perSecond}. */
    private static Thread sender(ClusterLab.Node from, long src, long dst, String tag, int count, int perSecond,
                                 AtomicReference<Throwable> failure) {
        return Thread.ofPlatform().start(() -> {
            try {
                long start = System.nanoTime();
                for (int i = 0; i < count; i++) {
                    from.send("blue", frame(dst, src, tag + " " + i));
                    long due = start + TimeUnit.SECONDS.toNanos(1) * (i + 1) / perSecond;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
    }

    /** Receives until {@code count} distinct numbers of {@code tag} arrived or nothing came for 3 s. */
    private static Thread receiver(ClusterLab.Node at, String tag, int count, BitSet got, AtomicReference<Throwable> failure) {
        return Thread.ofPlatform().start(() -> {
            try {
                while (true) {
                    byte[] f = at.take("blue", 3000);
                    if (f == null) {
                        return;
                    }
                    String p = payload(f);
                    if (p.startsWith(tag + " ")) {
                        synchronized (got) {
                            got.set(Integer.parseInt(p.substring(tag.length() + 1)));
                            if (got.cardinality() == count) {
                                return;
                            }
                        }
                    }
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
    }

    @Test
    void everyGatewayRollsEveryTwoSecondsUnderTrafficAndNoFrameIsLost() throws Exception {
        try (ClusterLab lab = new ClusterLab()) {
            lab.rekeySeconds = 2;
            lab.graceSeconds = 1;
            ClusterLab.Node gw1 = lab.node(1).start();
            ClusterLab.Node gw2 = lab.node(2).start();
            ClusterLab.Node gw3 = lab.node(3).start();
            await("a full mesh", Duration.ofSeconds(30), () -> lab.fullMesh(1, 2, 3));
            long h1 = gw1.mac(1);
            long h2 = gw2.mac(1);
            // Both hosts known everywhere first, so the streams are unicast.
            gw1.send("blue", frame(MacAddress.BROADCAST.value(), h1, "hello"));
            gw2.send("blue", frame(MacAddress.BROADCAST.value(), h2, "hello"));
            await("h1 and h2 known", Duration.ofSeconds(10), () -> "gw-2".equals(gw1.gateway.topology()
                    .tenant("blue").fdb().lookup(h2)) && "gw-1".equals(gw2.gateway.topology().tenant("blue").fdb().lookup(h1)));
            gw1.drain("blue");
            gw2.drain("blue");
            gw3.drain("blue");
            long[] rolledBefore = new long[4];
            for (int n = 1; n <= 3; n++) {
                rolledBefore[n] = lab.node(n).agent.status().rollovers();
            }

            // 15 s at 400 frames/s each way: a worker queue (1,024) then absorbs a 2.5 s stall of an
            // overloaded test host, so what this counts is the rollover, not the host.
            // Make before break, seen from outside: whenever a gateway's record shows a new
            // generation, that gateway already holds the generation's inbound SA from every peer
            // for every tenant (2 peers x 2 tenants), so no sender can be ahead of its receiver.
            List<String> violations = new CopyOnWriteArrayList<>();
            AtomicInteger published = new AtomicInteger();
            ScheduledExecutorService observer = Executors.newSingleThreadScheduledExecutor();
            Etcd etcd = new Etcd(ResumingWatchTest.config(lab.etcd.endpoints()));
            ResumingWatch watch = new ResumingWatch(etcd, lab.prefix + "/members/", observer, new ResumingWatch.Handler() {
                @Override
                public void changes(List<ResumingWatch.Change> changes) {
                    for (ResumingWatch.Change c : changes) {
                        if (c.value() == null) {
                            continue;
                        }
                        Records.MemberRecord r = Records.member(c.value(), ClusterKeys.leaf(c.key(), lab.prefix + "/members/"));
                        OverlayConfig cfg = lab.node(Integer.parseInt(r.name().substring(3))).gateway.config();
                        long installed = cfg.securityAssociations().stream().filter(sa -> sa.direction() == SaConfig.Direction.IN
                                && (sa.spi() & 1) == (r.generation() & 1) && sa.spi() >>> 21 == r.id()).count();
                        published.incrementAndGet();
                        if (installed != 4) {
                            violations.add(r.name() + " published generation " + r.generation() + " with " + installed
                                    + " of its 4 inbound SAs installed");
                        }
                    }
                }

                @Override
                public void resync(Etcd.Range range) {
                }
            });
            observer.submit(() -> watch.start(etcd.range(lab.prefix + "/members/", 0).join().revision())).get();

            int count = 6_000;
            AtomicReference<Throwable> failure = new AtomicReference<>();
            BitSet at2 = new BitSet();
            BitSet at1 = new BitSet();
            Thread r2 = receiver(gw2, "1to2", count, at2, failure);
            Thread r1 = receiver(gw1, "2to1", count, at1, failure);
            Thread s1 = sender(gw1, h1, h2, "1to2", count, 400, failure);
            Thread s2 = sender(gw2, h2, h1, "2to1", count, 400, failure);
            s1.join();
            s2.join();
            r1.join();
            r2.join();
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            watch.close();
            observer.shutdownNow();
            etcd.close();
            assertEquals(List.of(), violations);
            assertTrue(published.get() >= 12, published.get() + " generations published");
            for (int n = 1; n <= 3; n++) {
                long rolled = lab.node(n).agent.status().rollovers() - rolledBefore[n];
                assertTrue(rolled >= 4, "gw-" + n + " rolled " + rolled + " times in 15 s");
            }
            String why = "gw-1 " + describe(gw1.gateway.stats()) + "\ngw-2 " + describe(gw2.gateway.stats());
            assertEquals(count, at2.cardinality(), "1->2 lost " + (count - at2.cardinality()) + "\n" + why);
            assertEquals(count, at1.cardinality(), "2->1 lost " + (count - at1.cardinality()) + "\n" + why);
            for (int n = 1; n <= 3; n++) {
                GatewayStats st = lab.node(n).gateway.stats();
                assertEquals(0, st.drops("unknown-spi") + st.drops("integrity") + st.drops("no-sa") + st.drops("replay"),
                        "gw-" + n + " " + st.drops());
            }
        }
    }

    static String describe(GatewayStats s) {
        return "drops " + s.drops() + " kernel-drops " + s.underlayKernelDrops() + " ports " + s.ports()
                + " blue " + s.tenant("blue");
    }

    @Test
    void anOperatorsPutOfTheRekeyKeyRollsEveryGatewayOnce() throws Exception {
        try (ClusterLab lab = new ClusterLab()) {
            for (int n = 1; n <= 3; n++) {
                lab.node(n).start();
            }
            await("a full mesh", Duration.ofSeconds(30), () -> lab.fullMesh(1, 2, 3));
            long generation = lab.node(1).agent.status().generation();
            Process p = new ProcessBuilder("/usr/bin/etcdctl", "--endpoints", String.join(",", lab.etcd.endpoints()),
                    "put", lab.prefix + "/rekey", "now").redirectErrorStream(true).start();
            assertTrue(p.waitFor(20, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), new String(p.getInputStream().readAllBytes()));
            for (int n = 1; n <= 3; n++) {
                ClusterLab.Node node = lab.node(n);
                await("gw-" + n + " rolled", Duration.ofSeconds(15), () -> node.agent.status().rollovers() == 1);
                assertEquals(generation + 1, node.agent.status().generation());
            }
            await("the mesh again on the new generation", Duration.ofSeconds(10), () -> lab.fullMesh(1, 2, 3));
            ClusterLab.Node gw1 = lab.node(1);
            ClusterLab.Node gw3 = lab.node(3);
            gw1.send("red", frame(gw3.mac(1), gw1.mac(1), "after the rekey"));
            byte[] got = gw3.take("red", 3000);
            assertEquals("after the rekey", payload(got));
        }
    }
}
