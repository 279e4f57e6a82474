package dev.overlay.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.config.ConfigLoader;
import dev.overlay.config.ConfigResult;
import dev.overlay.config.OverlayConfig;
import dev.overlay.config.SaConfig;
import dev.overlay.steering.SteeringHash;
import dev.overlay.vtep.FlowHash;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A tunnel's SAs in pairs (Gateway.partners): the k-th outbound SA to a peer for some tenants and
 * the k-th inbound SA from it for the same tenants share an owner, and the SA a flow takes is
 * chosen by a hash its replies share, so that both directions of a flow meet on one worker.
 */
class SaPartnersTest {
    private static final String KEY = "0x0084612b91ed7d82386a4eb6928be6fd8fa4401483ce42e90a84d24fc9be4fa9fd5ec4fa";

    private static String sa(String spi, String direction, String peer, String tenants) {
        return "  - { spi: " + spi + ", direction: " + direction + ", peer: " + peer + ", tenants: [" + tenants
                + "], algorithm: aes-gcm-256, key: \"" + KEY + "\" }\n";
    }

    @Test
    void theKthOutboundAndInboundSaOfAPeerAndItsTenantsArePartnersAndExtrasFollowTheirSibling() {
        String yaml = """
                gateway:
                  name: gw-a
                  address: 192.0.2.1
                peers:
                  gw-b:
                    address: 192.0.2.2
                  gw-c:
                    address: 192.0.2.3
                tenants:
                  blue:
                    vni: 1001
                    peers: [gw-b, gw-c]
                  red:
                    vni: 1002
                    peers: [gw-b]
                security-associations:
                """
                + sa("0xa001", "out", "gw-b", "blue")
                + sa("0xb001", "in", "gw-b", "blue")
                + sa("0xc001", "in", "gw-b", "red") // red's: not blue's partner
                + sa("0xb002", "in", "gw-b", "blue")
                + sa("0xa002", "out", "gw-b", "blue")
                + sa("0xa003", "out", "gw-c", "blue") // no inbound SA from gw-c: alone
                + sa("0xa004", "out", "gw-b", "blue") // a third out, only two in (a rollover's new SA)
                + sa("0xc002", "out", "gw-b", "red");
        ConfigResult r = ConfigLoader.parse(Path.of("partners.yaml"), yaml);
        OverlayConfig config = r.config().orElseThrow(() -> new AssertionError(r.errors().toString()));
        Map<SaConfig, SaConfig> partners = Gateway.partners(config.securityAssociations());
        assertEquals(0xb001L, partnerOf(config, partners, 0xa001));
        assertEquals(0xa001L, partnerOf(config, partners, 0xb001));
        assertEquals(0xb002L, partnerOf(config, partners, 0xa002), "in config order, wherever they stand");
        assertEquals(0xc002L, partnerOf(config, partners, 0xc001));
        assertNull(partners.get(byId(config, 0xa003)), "alone of its kind: no partner");
        assertEquals(0xa002L, partnerOf(config, partners, 0xa004), "beyond the pairs: follows the SA before it");
        assertEquals(7, partners.size());
    }

    private static long partnerOf(OverlayConfig config, Map<SaConfig, SaConfig> partners, long spi) {
        SaConfig partner = partners.get(byId(config, spi));
        return partner == null ? -1 : partner.spi();
    }

    private static SaConfig byId(OverlayConfig config, long spi) {
        return config.securityAssociations().stream().filter(s -> s.spi() == spi).findFirst().orElseThrow();
    }

    /** An Ethernet / IPv4 / TCP frame's first 54 bytes from {@code from}:{@code sport} to {@code to}:{@code dport}. */
    private static byte[] tcp(int from, int sport, int to, int dport) {
        ByteBuffer b = ByteBuffer.allocate(54);
        b.putShort(12, (short) 0x0800);
        b.put(14, (byte) 0x45).putShort(16, (short) 40).put(22, (byte) 64).put(23, (byte) 6);
        b.putInt(26, from).putInt(30, to);
        b.putShort(34, (short) sport).putShort(36, (short) dport);
        return b.array();
    }

    /**
     * What the SA choice needs of the hash: a flow and its replies take the same place in the
     * list, and a client's flows, whose source ports count up, spread evenly over 2 and 4 SAs.
     */
    @Test
    void aFlowAndItsRepliesPickTheSamePlaceAndFlowsSpreadEvenly() {
        int a = 0x0A4D0001;
        int b = 0x0A4D0002;
        for (int sas : new int[] {2, 4}) {
            int[] count = new int[sas];
            for (int port = 40000; port < 44000; port++) {
                byte[] out = tcp(a, port, b, 5201);
                byte[] back = tcp(b, 5201, a, port);
                int k = SteeringHash.pick(FlowHash.symmetric(Unpooled.wrappedBuffer(out), 0, 54), sas);
                assertEquals(k, SteeringHash.pick(FlowHash.symmetric(Unpooled.wrappedBuffer(back), 0, 54), sas));
                count[k]++;
            }
            for (int c : count) {
                assertTrue(Math.abs(c - 4000 / sas) < 4000 / sas / 10, sas + " SAs: " + java.util.Arrays.toString(count));
            }
        }
    }
}
