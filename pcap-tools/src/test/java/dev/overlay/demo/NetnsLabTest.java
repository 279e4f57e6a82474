package dev.overlay.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.config.PortConfig;
import dev.overlay.gateway.port.Ports;
import dev.overlay.gateway.port.TenantPort;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The TAP of a gateway port moved into a tenant namespace as {@code demo --netns} moves it: it
 * must keep the offloads the port asked for (TUNSETOFFLOAD: checksum, TSO), since without them
 * the kernel cuts every 64 KB TCP send into MTU frames and the demo's iperf3 figure falls with no
 * error anywhere. ethtool inside the namespace is the oracle. Needs root and ethtool, which CI has.
 */
class NetnsLabTest {
    @Test
    void tapMovedIntoANamespaceKeepsItsChecksumAndSegmentationOffloadsAndTheTenantMtu() throws Exception {
        assertTrue(Shell.root(), "moving a TAP into a namespace needs root: run the tests as root (CI does)");
        assertTrue(Shell.onPath("ethtool"), "ethtool is the oracle for the TAP's offloads: apt-get install ethtool");
        String ns;
        String tap;
        try (NetnsLab lab = new NetnsLab()) {
            ns = lab.namespace("blue", 'a');
            tap = lab.tap("blue", 'a');
            TenantPort port = Ports.open(new PortConfig.TapPort(tap, 1), PooledByteBufAllocator.DEFAULT);
            lab.closeFirst(port);
            lab.create(ns);
            lab.moveIn(tap, ns, "10.0.0.1/24", 1408);

            Map<String, String> features = features(Shell.check("ip", "netns", "exec", ns, "ethtool", "-k", tap));
            for (String feature : List.of("tx-checksum-ip-generic", "tx-scatter-gather", "tx-tcp-segmentation",
                    "tx-tcp6-segmentation", "generic-segmentation-offload")) {
                assertEquals("on", features.get(feature), () -> feature + " inside " + ns + ": " + features);
            }
            String link = Shell.check("ip", "-n", ns, "-o", "link", "show", "dev", tap);
            assertTrue(link.contains(" mtu 1408 "), link);
            assertTrue(link.matches("(?s).*<[^>]*\\bUP\\b.*"), link);
        }
        assertFalse(Shell.run(10, List.of("ip", "netns", "list")).out().contains(ns), "namespace left behind");
        assertFalse(Shell.run(10, List.of("ip", "-o", "link")).out().contains(tap + ":"), "TAP left behind");
    }

    /** {@code ethtool -k} lines "name: on|off [fixed]" as name to on/off. */
    private static Map<String, String> features(String ethtool) {
        Map<String, String> map = new HashMap<>();
        Matcher m = Pattern.compile("(?m)^\\s*([\\w-]+): (on|off)").matcher(ethtool);
        while (m.find()) {
            map.put(m.group(1), m.group(2));
        }
        return map;
    }
}
