package dev.overlay.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code demo --offline}: the captures through both gateways' datapath stages, no gateway running. */
class OfflineDemoTest {
    static final Path ROOT = Path.of(System.getProperty("overlay.root", ".."));

    @Test
    void everyFrameArrivesIntactAtItsOwnTenantAndTheWireHoldsOnlyEsp(@TempDir Path dir) throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Main.run(new String[] {"demo", "--offline", "--root", ROOT.toString(), "--out-dir", dir.toString()},
                new PrintWriter(out), new PrintWriter(err));
        assertEquals(0, status, err.toString());
        String table = out.toString();
        assertTrue(table.contains("every frame arrived intact at its own tenant"), table);
        assertTrue(table.matches("(?s).*blue\\s+0x00001001\\s+16\\s+4362\\s+16\\s+\\d+\\s+16\\s+16\\s+0\\s+0.*"), table);
        assertTrue(table.matches("(?s).*red\\s+0x00001002\\s+16\\s+4362\\s+16\\s+\\d+\\s+16\\s+16\\s+0\\s+0.*"), table);

        // tshark, not our decoder, says what is on the wire: ESP only, no cleartext overlay.
        Path wire = dir.resolve("wire.pcap");
        Process tshark = new ProcessBuilder("tshark", "-r", wire.toString(), "-T", "fields", "-e", "frame.protocols")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        List<String> protocols = new String(tshark.getInputStream().readAllBytes()).lines().toList();
        assertTrue(tshark.waitFor(60, TimeUnit.SECONDS));
        assertEquals(32, protocols.size(), protocols.toString());
        for (String p : protocols) {
            assertEquals("eth:ethertype:ip:udp:udpencap:esp", p);
        }
        assertTrue(Files.size(wire) > 0);
    }
}
