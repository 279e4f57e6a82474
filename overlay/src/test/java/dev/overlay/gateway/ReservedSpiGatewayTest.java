package dev.overlay.gateway;

import static dev.overlay.gateway.TwoGateways.frame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code run} with SPIs from the range RFC 4303 reserves for IANA, as peers use them
 * (OpenDataPlane's 123, DPDK's 52): the gateway starts, says so once per SA in its log
 * ({@code reserved-spi}), steers them by SPI like any other and carries the traffic.
 */
class ReservedSpiGatewayTest {
    @TempDir
    Path dir;

    @Test
    void aGatewayWithReservedSpisWarnsAndCarriesTheTraffic() throws Exception {
        try (GatewayLifecycleTest.Records log = new GatewayLifecycleTest.Records(EventLog.LOGGER.getName())) {
            TwoGateways gws = new TwoGateways(dir, "udp");
            gws.sasA.set(0, TwoGateways.sa(123, "out", "gw-b", "blue", TwoGateways.K_BLUE_AB));
            gws.sasA.set(1, TwoGateways.sa(52, "in", "gw-b", "blue", TwoGateways.K_BLUE_BA));
            gws.sasB.set(0, TwoGateways.sa(52, "out", "gw-a", "blue", TwoGateways.K_BLUE_BA));
            gws.sasB.set(1, TwoGateways.sa(123, "in", "gw-a", "blue", TwoGateways.K_BLUE_AB));
            try (TwoGateways started = gws.start()) {
                TwoGateways.End blueA = started.end("blue", 0);
                TwoGateways.End blueB = started.end("blue", 1);
                for (int i = 0; i < 20; i++) {
                    blueA.inject(frame(GatewayTest.MAC_2, GatewayTest.MAC_1, "to b " + i));
                    assertArrayEquals(frame(GatewayTest.MAC_2, GatewayTest.MAC_1, "to b " + i), blueB.take());
                    blueB.inject(frame(GatewayTest.MAC_1, GatewayTest.MAC_2, "to a " + i));
                    assertArrayEquals(frame(GatewayTest.MAC_1, GatewayTest.MAC_2, "to a " + i), blueA.take());
                }
                assertEquals(20, started.gwA.stats().sa("0x0000007b", "out").packets());
                assertEquals(20, started.gwB.stats().sa("0x0000007b", "in").packets());
                assertEquals(20, started.gwA.stats().sa("0x00000034", "in").packets());
                assertEquals(0, started.gwB.stats().totalDrops(), () -> started.gwB.stats().drops().toString());
                // Both of gw-b's inbound SAs, the reserved one too, are in the kernel's SPI program.
                assertEquals("spi (2 SAs)", started.gwB.underlaySteering());
            }
            String text = log.text();
            for (String spi : new String[] {"0x0000007b", "0x00000034"}) {
                assertEquals(2, text.lines().filter(l -> l.contains("reserved-spi") && l.contains("spi=" + spi)).count(),
                        () -> "one reserved-spi line per gateway for " + spi + ":\n" + text);
            }
            assertTrue(text.lines().noneMatch(l -> l.contains("reserved-spi") && l.contains("0x00001002")), text);
        }
    }
}
