package dev.overlay.datapath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.config.ConfigLoader;
import dev.overlay.config.ConfigResult;
import dev.overlay.config.OverlayConfig;
import dev.overlay.vtep.MacAddress;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A reload keeps a tenant's FDB while it stays the same segment: a cluster peer joining or
 * leaving changes the flood list, never what the tenant learned from the peers that stay.
 */
class TopologyReloadTest {
    private static final long STATION = MacAddress.of("02:00:00:00:00:0b").value();
    private static final long OTHER = MacAddress.of("02:00:00:00:00:0c").value();

    private static OverlayConfig config(String peers, String tenantExtra, boolean cluster) {
        String yaml = """
                gateway:
                  name: gw-a
                  address: 192.0.2.1
                %s
                peers:
                  gw-b: { address: 192.0.2.2 }
                  gw-c: { address: 192.0.2.3 }
                tenants:
                  blue:
                    vni: 1001
                    security: none
                    peers: %s
                %s
                """.formatted(cluster ? "  cluster: { etcd: [http://127.0.0.1:2379], prefix: /overlay/t }" : "",
                peers, tenantExtra);
        ConfigResult r = ConfigLoader.parse(Path.of("topology.yaml"), yaml);
        assertTrue(r.ok(), () -> r.errors().toString());
        return r.orThrow();
    }

    @Test
    void aNewFloodListKeepsTheFdbOfThePeersThatStay() {
        Topology before = Topology.of(config("[gw-b, gw-c]", "", false));
        Tenant blue = before.tenant("blue");
        blue.fdb().learn(STATION, "gw-b");
        blue.fdb().learn(OTHER, "gw-c");
        Topology after = Topology.reloaded(config("[gw-b]", "", false), System::nanoTime, before);
        Tenant reloaded = after.tenant("blue");
        assertSame(blue.fdb(), reloaded.fdb(), "the same segment keeps its FDB");
        assertEquals(List.of("gw-b"), reloaded.fdb().floodList());
        assertEquals(List.of("gw-b"), reloaded.peers().stream().map(Peer::name).toList());
        assertEquals("gw-b", reloaded.fdb().lookup(STATION));
        assertNull(reloaded.fdb().lookup(OTHER), "learned behind the peer that left: gone");
        assertNull(reloaded.localMacs(), "no cluster: nothing learned on ports");
    }

    @Test
    void anotherEncapsulationIsAnotherSegmentAndStartsFresh() {
        Topology before = Topology.of(config("[gw-b]", "", false));
        before.tenant("blue").fdb().learn(STATION, "gw-b");
        Topology after = Topology.reloaded(config("[gw-b]", "", false), System::nanoTime, before);
        assertSame(before.tenant("blue").fdb(), after.tenant("blue").fdb());
        String moved = "    encapsulation: geneve";
        Topology geneve = Topology.reloaded(config("[gw-b]", moved, false), System::nanoTime, after);
        assertNotSame(after.tenant("blue").fdb(), geneve.tenant("blue").fdb());
        assertNull(geneve.tenant("blue").fdb().lookup(STATION));
    }

    @Test
    void inClusterModeLocalMacsAreKeptAcrossReloadsToo() {
        Topology before = Topology.of(config("[gw-b]", "", true));
        Tenant blue = before.tenant("blue");
        blue.localMacs().learn(STATION, Tenant.LOCAL);
        blue.fdb().putRemote(OTHER, "gw-b");
        Topology after = Topology.reloaded(config("[gw-b, gw-c]", "", true), System::nanoTime, before);
        assertSame(blue.localMacs(), after.tenant("blue").localMacs());
        assertEquals(Tenant.LOCAL, after.tenant("blue").localMacs().lookup(STATION));
        assertEquals("gw-b", after.tenant("blue").fdb().lookup(OTHER), "a remote entry survives a new flood list");
    }
}
