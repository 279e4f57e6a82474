package dev.overlay.cluster;

import static dev.overlay.cluster.ClusterLab.await;
import static dev.overlay.cluster.ClusterLab.frame;
import static dev.overlay.cluster.ClusterLab.payload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.gateway.GatewayStats;
import java.time.Duration;
import dev.overlay.config.OverlayConfig;
import dev.overlay.config.SaConfig;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * SA rollover through etcd loses nothing: each receiver installs its next generation's inbound
 * SAs before it publishes the generation, senders switch only when they see it, and the old
 * generation stays for the grace period. Counted streams both ways while every gateway rolls
 * every two seconds; and one rollover of all gateways at an operator's {@code etcdctl put}.
 */
class ClusterRolloverTest {

    @Test
    void everyGatewayRollsEveryTwoSecondsUnderTrafficAndNoFrameIsLost() throws Exception {
        try (ClusterLab lab = new ClusterLab()) {
            lab.rekeySeconds = 2;
            lab.graceSeconds = 1;
            lab.startMeshed(3);
            ClusterLab.Node gw1 = lab.node(1);
            ClusterLab.Node gw2 = lab.node(2);
            ClusterLab.Node gw3 = lab.node(3);
            // Both hosts known everywhere first, so the streams are unicast.
            ClusterLab.introduce(gw1, gw2);
            gw3.drain("blue");
            long[] rolledBefore = new long[4];
            for (int n = 1; n <= 3; n++) {
                rolledBefore[n] = lab.node(n).agent.status().rollovers();
            }

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

            // 15 s at 400 frames/s each way: a worker queue (1,024) then absorbs a 2.5 s stall of an
            // overloaded test host, so what this counts is the rollover, not the host.
            int count = 6_000;
            ClusterLab.Stream oneToTwo = new ClusterLab.Stream(gw1, gw2, "1to2", count, 400);
            ClusterLab.Stream twoToOne = new ClusterLab.Stream(gw2, gw1, "2to1", count, 400);
            int lost12 = oneToTwo.lost();
            int lost21 = twoToOne.lost();
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
            assertEquals(0, lost12, "1->2 lost\n" + why);
            assertEquals(0, lost21, "2->1 lost\n" + why);
            for (int n = 1; n <= 3; n++) {
                GatewayStats st = lab.node(n).gateway.stats();
                assertEquals(0, ClusterLab.saDrops(st), "gw-" + n + " " + st.drops());
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
            lab.startMeshed(3);
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
