package dev.overlay.cluster;

import static dev.overlay.cluster.ClusterLab.await;
import static dev.overlay.cluster.ClusterLab.frame;
import static dev.overlay.cluster.ClusterLab.payload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.config.SaConfig;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Three gateways and a 3-member etcd: membership forms with no peer in any file, and ESP traffic flows between every pair. */
class ClusterMembershipTest {

    @Test
    void threeGatewaysFindEachOtherThroughEtcdAndCarryEveryTenantBetweenEveryPair() throws Exception {
        try (ClusterLab lab = new ClusterLab()) {
            lab.node(1).metricsPort = FreePorts.tcp(1)[0];
            lab.startMeshed(3);
            // The agent's metrics, on the gateway's endpoint.
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            java.net.URI uri = java.net.URI.create("http://127.0.13.1:" + lab.node(1).metricsPort + "/metrics");
            String[] metrics = {""};
            await("the agent's metrics", Duration.ofSeconds(10), () -> {
                try {
                    metrics[0] = http.send(java.net.http.HttpRequest.newBuilder(uri).build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString()).body();
                } catch (Exception e) {
                    return false;
                }
                return metrics[0].contains("overlay_cluster_ready_pairs 4.0");
            });
            assertTrue(metrics[0].contains("overlay_cluster_etcd_reachable 1.0"), metrics[0]);
            assertTrue(metrics[0].contains("overlay_cluster_members 3.0"), metrics[0]);
            assertTrue(metrics[0].contains("overlay_cluster_generation 1.0"), metrics[0]);
            for (int n = 1; n <= 3; n++) {
                var s = lab.node(n).agent.status();
                assertTrue(s.registered());
                assertEquals(List.of("gw-1", "gw-2", "gw-3"), List.copyOf(s.members()));
                var cfg = lab.node(n).gateway.config();
                assertEquals(2, cfg.peers().size(), "peers from etcd alone: " + cfg.peers().keySet());
                // Per peer and tenant: one SA out, one in (generation 1), none written in any file.
                assertEquals(8, cfg.securityAssociations().size());
                assertTrue(cfg.securityAssociations().stream().allMatch(sa -> sa.esn() && sa.spi() >= 1 << 21));
                assertEquals(4, cfg.securityAssociations().stream().filter(sa -> sa.direction() == SaConfig.Direction.OUT).count());
            }
            for (String tenant : ClusterLab.TENANTS) {
                for (int a = 1; a <= 3; a++) {
                    for (int b = 1; b <= 3; b++) {
                        if (a == b) {
                            continue;
                        }
                        ClusterLab.Node from = lab.node(a);
                        ClusterLab.Node to = lab.node(b);
                        String text = tenant + " " + a + "->" + b;
                        from.send(tenant, frame(to.mac(1), from.mac(1), text));
                        byte[] got = null;
                        // Flooded at first (unknown unicast): the third gateway gets a copy too.
                        for (int i = 0; i < 5 && (got == null || !payload(got).equals(text)); i++) {
                            got = to.take(tenant, 2000);
                        }
                        assertNotNull(got, text);
                        assertEquals(text, payload(got));
                    }
                }
            }
            // No key material in etcd: no 8-byte run of any derived key, in hex or Base64, in any value.
            try (Etcd etcd = new Etcd(ResumingWatchTest.config(lab.etcd.endpoints()))) {
                StringBuilder all = new StringBuilder();
                etcd.range(lab.prefix + "/", 0).get().entries().forEach(e -> all.append(e.key()).append(e.value()));
                String text = all.toString().toLowerCase(java.util.Locale.ROOT);
                for (int n = 1; n <= 3; n++) {
                    for (SaConfig sa : lab.node(n).gateway.config().securityAssociations()) {
                        byte[] key = sa.key();
                        for (int i = 0; i + 8 <= key.length; i += 4) {
                            byte[] run = java.util.Arrays.copyOfRange(key, i, i + 8);
                            assertFalse(text.contains(java.util.HexFormat.of().formatHex(run)), "key bytes in etcd");
                            assertFalse(all.toString().contains(java.util.Base64.getEncoder().encodeToString(run)
                                    .substring(0, 10)), "key bytes in etcd (Base64)");
                        }
                    }
                }
            }
            for (int n = 1; n <= 3; n++) {
                var stats = lab.node(n).gateway.stats();
                assertEquals(0, stats.drops("integrity") + stats.drops("unknown-spi") + stats.drops("no-sa"),
                        "gw-" + n + " drops: " + stats.drops());
            }
        }
    }
}
