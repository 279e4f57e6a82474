package dev.overlay.cluster;

import static dev.overlay.cluster.ClusterLab.await;
import static dev.overlay.cluster.ClusterLab.frame;
import static dev.overlay.cluster.ClusterLab.payload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A gateway restarted (crash, then the same config again) comes back with a new key pair, only
 * the peers alive now, and the others replace what they held for it; when the dead process's
 * lease expires it takes nothing of the new one with it.
 */
class ClusterRestartTest {

    @Test
    void aRestartedGatewayKeepsNoStalePeersAndTheOthersKeepNoStaleState() throws Exception {
        try (ClusterLab lab = new ClusterLab()) {
            lab.leaseSeconds = 3;
            lab.startMeshed(3);
            ClusterLab.Node gw1 = lab.node(1);
            ClusterLab.Node gw2 = lab.node(2);
            ClusterLab.Node gw3 = lab.node(3);
            String oldKey = gw3.agent.status().publicKeyId();

            gw2.crash(); // dies for good
            await("gw-2's lease expired", Duration.ofSeconds(15),
                    () -> !gw1.gateway.config().peers().containsKey("gw-2"));
            gw3.crash();
            gw3.start(); // at once: the dead process's lease still holds its old keys for a few seconds
            await("the new gw-3 meshed with gw-1", Duration.ofSeconds(30), () -> lab.fullMesh(1, 3));
            String newKey = gw3.agent.status().publicKeyId();
            assertNotEquals(oldKey, newKey, "a new process, a new X25519 key pair");
            assertEquals(Set.of("gw-1"), gw3.gateway.config().peers().keySet(), "no stale peer in the restarted gateway");

            Thread.sleep(4000); // past the old process's lease: its keys expire, the new ones must stay
            assertEquals(Set.of("gw-3"), gw1.gateway.config().peers().keySet());
            assertEquals(List.of("gw-1", "gw-3"), List.copyOf(gw1.agent.status().members()));
            assertEquals(Set.of("gw-1"), gw3.gateway.config().peers().keySet());
            for (String tenant : ClusterLab.TENANTS) {
                gw1.send(tenant, frame(gw3.mac(1), gw1.mac(1), tenant + " to the new gw-3"));
                assertEquals(tenant + " to the new gw-3", payload(gw3.take(tenant, 3000)));
                gw3.send(tenant, frame(gw1.mac(1), gw3.mac(1), tenant + " from the new gw-3"));
                assertEquals(tenant + " from the new gw-3", payload(gw1.take(tenant, 3000)));
            }
            // gw-1 holds SAs for the new gw-3 only: one out and one in per tenant, no leftovers.
            long toOrFromGw3 = gw1.gateway.config().securityAssociations().stream()
                    .filter(sa -> sa.peer().equals("gw-3")).count();
            assertEquals(4, toOrFromGw3);
            assertEquals(0, ClusterLab.saDrops(gw3.gateway.stats()), gw3.gateway.stats().drops().toString());
        }
    }
}
