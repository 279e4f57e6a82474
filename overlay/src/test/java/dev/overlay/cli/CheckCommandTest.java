package dev.overlay.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code check} on a file of inbound SAs: exit 2 as before (a deployment gated on check keeps its
 * meaning), with a line saying the commands it is complete for; {@code --for decrypt} exit 0.
 * {@code run} refuses such a file with the sentence it always gave.
 */
class CheckCommandTest {
    @TempDir
    Path dir;

    private static final String INBOUND_ONLY = """
            gateway:
              name: gw-a
              address: 192.0.2.1
            peers:
              gw-b: { address: 192.0.2.2 }
            tenants:
              t: { vni: 1001, peers: [gw-b] }
            security-associations:
              - { spi: 123, direction: in, peer: gw-b, tenants: [t], algorithm: aes-gcm-128,
                  key: "0x000102030405060708090a0b0c0d0e0f10111213" }
            """;

    private record Run(int status, String out, String err) {}

    private static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(status, out.toString(), err.toString());
    }

    @Test
    void checkOfAnInboundOnlyFileExitsTwoAndSaysWhatItIsCompleteFor() throws Exception {
        Path file = Files.writeString(dir.resolve("in.yaml"), INBOUND_ONLY);
        Run r = cli("check", "--config", file.toString());
        assertEquals(2, r.status(), r::toString);
        assertEquals("", r.out());
        assertEquals(file + ":7: tenants.t.peers[0]: no out SA carries tenant t to peer gw-b, so its traffic to gw-b "
                + "could not be sent (add one, or security: none)\n"
                + file + ":9: security-associations[0].spi: warning: spi 123 (0x7b) is in 1..255, reserved for IANA "
                + "(RFC 4303 section 2.1); accepted, since peers use such SPIs, but choose 256 (0x100) or more for "
                + "SAs you make\n"
                + "complete for: decode, decrypt, inspect, wireshark-keys (run and encode need an out SA for tenant t "
                + "to peer gw-b)\n"
                + "overlay: " + file + ": 1 error\n", r.err());
    }

    @Test
    void checkForDecryptAcceptsItAndPrintsTheReport() throws Exception {
        Path file = Files.writeString(dir.resolve("in.yaml"), INBOUND_ONLY);
        Run r = cli("check", "--config", file.toString(), "--for", "decrypt");
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.out().startsWith("config " + file + ": valid\ncomplete for: decode, decrypt, inspect, "
                + "wireshark-keys (run and encode need an out SA for tenant t to peer gw-b)\n"), r.out());
        assertTrue(r.out().contains("0x0000007b  in   gw-b  aes-gcm-128"), r.out());
        assertTrue(r.out().contains("warning: spi 123 (0x7b) is in 1..255"), r.out());
        Run encode = cli("check", "--config", file.toString(), "--for", "encode");
        assertEquals(2, encode.status(), encode::toString);
        assertTrue(encode.err().endsWith("overlay: " + file + ": 1 error for encode\n"), encode.err());
        Run bogus = cli("check", "--config", file.toString(), "--for", "sned");
        assertEquals(2, bogus.status());
        assertEquals("overlay: --for sned: not a command that reads a config (expected one of run, encode, decode, "
                + "decrypt, inspect, wireshark-keys)\n", bogus.err());
    }

    @Test
    void runRefusesAFileThatCannotSendWithTheSentenceItAlwaysGave() throws Exception {
        Path file = Files.writeString(dir.resolve("in.yaml"), INBOUND_ONLY);
        Run r = cli("run", "--config", file.toString());
        assertEquals(2, r.status(), r::toString);
        assertTrue(r.err().contains(file + ":7: tenants.t.peers[0]: no out SA carries tenant t to peer gw-b"), r.err());
        assertTrue(r.err().contains("is not a valid config (1 error; 'overlay check --config " + file
                + "' lists them)"), r.err());
    }

    @Test
    void aCompleteFileSaysSoAndExitsZero() throws Exception {
        Path file = Files.writeString(dir.resolve("full.yaml"), INBOUND_ONLY + """
                  - { spi: 0x1001, direction: out, peer: gw-b, tenants: [t], algorithm: aes-gcm-128,
                      key: "0x000102030405060708090a0b0c0d0e0f10111213" }
                """);
        Run r = cli("check", "--config", file.toString());
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.out().startsWith("config " + file + ": valid\ncomplete for: run, encode, decode, decrypt, "
                + "inspect, wireshark-keys\n\n"), r.out());
    }
}
