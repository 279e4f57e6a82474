package dev.overlay.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** {@code overlay demo --cluster}: etcd, three gateways, membership, FDB, one rollover under traffic; nothing left after. */
class ClusterDemoTest {

    @Test
    void theClusterDemoPassesItsChecksAndLeavesNothingRunning() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Main.run(new String[] {"demo", "--cluster"}, new PrintWriter(out), new PrintWriter(err));
        String text = out.toString();
        assertEquals(0, status, () -> text + err);
        assertTrue(text.contains("result: membership formed through etcd, FDB entries spread, and every gateway rolled "
                + "its keys with frames flowing and none lost"), text);
        assertTrue(text.contains("240 frames host to host: 240 delivered, each to its own host only, 0 flooded"), text);
        // Each gateway: 2 peers, 8 SAs (one out and one in per peer and tenant), generation 2, 4 remote MACs, no SA drop.
        assertTrue(text.matches("(?s).*gw-1\\s+127\\.0\\.0\\.1\\s+\\d+\\s+[0-9a-f]{16}\\s+2\\s+8\\s+2\\s+4\\s+0\\b.*"), text);
        assertTrue(text.contains("/members/gw-3") && text.contains("/fdb/vxlan-1001/gw-2") && text.contains("/acks/gw-1/gw-2"),
                text);
        assertEquals("", err.toString(), "the demo prints its table, not the gateways' log");
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.isAlive() && t.getName().startsWith("overlay-gw-"))) {
            assertTrue(System.nanoTime() < deadline, "gateway threads left: " + Thread.getAllStackTraces().keySet());
            Thread.sleep(20);
        }
        assertTrue(ProcessHandle.current().children().noneMatch(p -> p.info().command().orElse("").endsWith("/etcd")),
                "an etcd member left running");
    }
}
