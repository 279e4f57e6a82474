package dev.overlay.cluster;

import static dev.overlay.cluster.ClusterLab.await;
import static dev.overlay.cluster.ClusterLab.frame;
import static dev.overlay.cluster.ClusterLab.payload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.overlay.gateway.GatewayStats;
import dev.overlay.vtep.MacAddress;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * MACs learned on one gateway's ports reach the others through etcd as remote (static) entries,
 * so frames to them go to one peer instead of being flooded; a MAC that moves follows the higher
 * mobility number; a gateway that leaves takes its MACs with it.
 */
class ClusterFdbTest {
    private static final long BROADCAST = MacAddress.BROADCAST.value();

    private static Map<Long, String> remote(ClusterLab.Node node, String tenant) {
        return node.gateway.topology().tenant(tenant).fdb().remote();
    }

    @Test
    void macsLearnedBehindOneGatewayBecomeRemoteEntriesElsewhereSoUnicastIsNotFlooded() throws Exception {
        try (ClusterLab lab = new ClusterLab()) {
            lab.startMeshed(3);
            ClusterLab.Node gw1 = lab.node(1);
            ClusterLab.Node gw2 = lab.node(2);
            ClusterLab.Node gw3 = lab.node(3);
            long h1 = gw1.mac(1);
            long h2 = gw2.mac(1);
            long h3 = gw3.mac(1);

            // H3 says hello to everyone; H2 then talks to H3 alone, so gw-1 never sees H2 on the wire.
            gw3.send("blue", frame(BROADCAST, h3, "hello from h3"));
            await("h3 known at gw-2", Duration.ofSeconds(10), () -> "gw-3".equals(remote(gw2, "blue").get(h3)));
            gw2.send("blue", frame(h3, h2, "h2 to h3"));
            assertEquals("h2 to h3", payload(takeSkipping(gw3, "hello")));
            await("h2 announced by gw-2 and installed at gw-1", Duration.ofSeconds(10),
                    () -> "gw-2".equals(remote(gw1, "blue").get(h2)) && "gw-2".equals(remote(gw3, "blue").get(h2)));
            gw1.drain("blue");
            gw2.drain("blue");
            gw3.drain("blue");

            GatewayStats.TenantStats before = gw1.gateway.stats().tenant("blue");
            for (int i = 0; i < 100; i++) {
                gw1.send("blue", frame(h2, h1, "h1 to h2 #" + i));
            }
            for (int i = 0; i < 100; i++) {
                byte[] got = gw2.take("blue", 2000);
                assertNotNull(got, "frame " + i);
                assertEquals("h1 to h2 #" + i, payload(got));
            }
            assertNull(gw3.take("blue", 300), "a known unicast is not flooded to gw-3");
            GatewayStats.TenantStats after = gw1.gateway.stats().tenant("blue");
            assertEquals(0, after.txUnknownUnicast() - before.txUnknownUnicast());
            assertEquals(0, after.txFlooded() - before.txFlooded());
            assertEquals(100, after.txFrames() - before.txFrames());

            // The counter counts: a MAC nobody announced is unknown unicast, flooded to both peers.
            for (int i = 0; i < 10; i++) {
                gw1.send("blue", frame(gw2.mac(9), h1, "to nobody #" + i));
            }
            await("10 unknown unicast frames counted", Duration.ofSeconds(5),
                    () -> gw1.gateway.stats().tenant("blue").txUnknownUnicast() - before.txUnknownUnicast() == 10);

            // H2 moves to gw-3: gw-3 announces it with a higher mobility number and wins everywhere.
            gw3.send("blue", frame(h1, h2, "h2 now behind gw-3"));
            await("h2 behind gw-3 at gw-1", Duration.ofSeconds(10), () -> "gw-3".equals(remote(gw1, "blue").get(h2)));
            assertEquals("gw-3", remote(gw2, "blue").get(h2), "gw-2 itself follows the move");

            // gw-3 leaves: its MACs leave every FDB with it.
            gw3.stop();
            await("gw-3's MACs gone at gw-1", Duration.ofSeconds(10),
                    () -> !remote(gw1, "blue").containsValue("gw-3"));
            assertEquals(Map.of(), Map.copyOf(remote(gw2, "blue")).entrySet().stream()
                    .filter(e -> e.getValue().equals("gw-3")).collect(java.util.stream.Collectors.toMap(Map.Entry::getKey,
                            Map.Entry::getValue)));
        }
    }

    /** The next frame whose payload does not start with {@code skip}. */
    private static byte[] takeSkipping(ClusterLab.Node node, String skip) throws Exception {
        for (int i = 0; i < 5; i++) {
            byte[] got = node.take("blue", 2000);
            if (got == null || !payload(got).startsWith(skip)) {
                return got;
            }
        }
        return null;
    }
}
