package dev.overlay.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code overlay demo}: two live gateways in this JVM, the tenants' hosts played over the udp ports. */
class LiveDemoTest {
    static final Path ROOT = Path.of(System.getProperty("overlay.root", ".."));

    @Test
    void everyFrameOfBothTenantsArrivesIntactAtItsOwnFarSideAndBothWorkersOfEachGatewayWork() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Main.run(new String[] {"demo", "--root", ROOT.toString()}, new PrintWriter(out), new PrintWriter(err));
        String table = out.toString();
        assertEquals(0, status, () -> table + err);
        assertTrue(table.contains("result: every frame arrived intact at its own tenant, and nowhere else"), table);
        // 16 frames of 4362 bytes each way in total, all intact, none wrong, none lost.
        assertTrue(table.matches("(?s).*\\bblue\\s+vxlan\\s+1001\\s+16\\s+4362\\s+16\\s+4362\\s+16\\s+0\\s+0\\b.*"), table);
        assertTrue(table.matches("(?s).*\\bred\\s+geneve\\s+1002\\s+16\\s+4362\\s+16\\s+4362\\s+16\\s+0\\s+0\\b.*"), table);
        // SPI steering spreads each gateway's four SAs over its two workers: both did work.
        Matcher worker = Pattern.compile("(?m)^(gw-[ab])\\s+([01])\\s+(\\d+)\\s+([\\d.]+)%").matcher(table);
        int rows = 0;
        double[] share = new double[2];
        while (worker.find()) {
            rows++;
            assertTrue(Long.parseLong(worker.group(3)) > 0, () -> "an idle worker:\n" + table);
            share[worker.group(1).equals("gw-a") ? 0 : 1] += Double.parseDouble(worker.group(4));
        }
        assertEquals(4, rows, table);
        assertEquals(100.0, share[0], 0.2, table);
        assertEquals(100.0, share[1], 0.2, table);
        assertTrue(table.contains("gw-a drops: none") && table.contains("gw-b drops: none"), table);
        assertEquals("", err.toString(), "the demo prints its table, not the gateways' log");
    }

    @Test
    void noGatewayThreadIsLeftAfterTheDemo() throws Exception {
        Main.run(new String[] {"demo", "--root", ROOT.toString()}, new PrintWriter(new StringWriter()),
                new PrintWriter(new StringWriter()));
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.isAlive() && t.getName().startsWith("overlay-gw-"))) {
            assertTrue(System.nanoTime() < deadline, "gateway threads left: " + Thread.getAllStackTraces().keySet());
            Thread.sleep(20);
        }
    }
}
