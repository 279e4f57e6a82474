package dev.overlay.cluster;

import static dev.overlay.cluster.ClusterLab.await;
import static dev.overlay.cluster.ClusterLab.frame;
import static dev.overlay.cluster.ClusterLab.payload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A third gateway joins, leaves, joins again and dies while two others carry counted streams
 * both ways: the two lose nothing, and each change reaches them within seconds, the death within
 * the lease TTL.
 */
class ClusterChurnTest {

    private static boolean floodsTo(ClusterLab.Node node, String peer) {
        return node.gateway.config().tenants().get("blue").peers().contains(peer);
    }

    @Test
    void aGatewayJoinsLeavesAndDiesUnderTrafficWithZeroLossBetweenTheOthers() throws Exception {
        try (ClusterLab lab = new ClusterLab()) {
            lab.leaseSeconds = 3;
            ClusterLab.Node gw1 = lab.node(1).start();
            ClusterLab.Node gw2 = lab.node(2).start();
            await("gw-1 and gw-2 meshed", Duration.ofSeconds(30), () -> lab.fullMesh(1, 2));
            ClusterLab.introduce(gw1, gw2);

            int count = 8_000; // 20 s at 400 frames/s each way
            ClusterLab.Stream oneToTwo = new ClusterLab.Stream(gw1, gw2, "1to2", count, 400);
            ClusterLab.Stream twoToOne = new ClusterLab.Stream(gw2, gw1, "2to1", count, 400);

            // Joins: within seconds every gateway sends to it, and it reaches both.
            long joining = System.nanoTime();
            ClusterLab.Node gw3 = lab.node(3).start();
            await("gw-3 in the mesh", Duration.ofSeconds(15), () -> lab.fullMesh(1, 2, 3));
            long joinedMillis = ClusterLab.millisSince(joining);
            gw3.send("red", frame(gw1.mac(1), gw3.mac(1), "red from gw-3"));
            assertEquals("red from gw-3", payload(gw1.take("red", 3000)));

            // Leaves gracefully: its lease is revoked, the others drop it at once.
            long leaving = System.nanoTime();
            gw3.stop();
            await("gw-3 gone from gw-1 and gw-2", Duration.ofSeconds(5), () -> !floodsTo(gw1, "gw-3") && !floodsTo(gw2, "gw-3")
                    && !gw1.gateway.config().peers().containsKey("gw-3"));
            long leftMillis = ClusterLab.millisSince(leaving);

            // Joins again, then dies: its lease expires (3 s) and it leaves every flood list.
            gw3.start();
            await("gw-3 back in the mesh", Duration.ofSeconds(15), () -> lab.fullMesh(1, 2, 3));
            long dying = System.nanoTime();
            gw3.crash();
            await("dead gw-3 dropped", Duration.ofSeconds(15), () -> !floodsTo(gw1, "gw-3") && !floodsTo(gw2, "gw-3"));
            long deadMillis = ClusterLab.millisSince(dying);
            assertTrue(deadMillis >= 2_000, "dropped before its lease could expire: " + deadMillis + " ms");
            assertTrue(oneToTwo.sending(), "the churn happened while the streams ran");

            int lost12 = oneToTwo.lost();
            int lost21 = twoToOne.lost();
            System.out.printf("cluster churn: joined in %d ms, left in %d ms, dead dropped in %d ms%n",
                    joinedMillis, leftMillis, deadMillis);
            assertEquals(0, lost12, "gw-1 -> gw-2 lost; drops " + gw2.gateway.stats().drops());
            assertEquals(0, lost21, "gw-2 -> gw-1 lost; drops " + gw1.gateway.stats().drops());
            assertEquals(0, ClusterLab.saDrops(gw1.gateway.stats()), "gw-1 " + gw1.gateway.stats().drops());
            assertEquals(0, ClusterLab.saDrops(gw2.gateway.stats()), "gw-2 " + gw2.gateway.stats().drops());
            assertFalse(gw1.gateway.config().peers().containsKey("gw-3"));
        }
    }
}
