package dev.overlay.pcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.overlay.cli.Main;
import dev.overlay.pcap.capture.CaptureException;
import dev.overlay.pcap.capture.CaptureReader;
import dev.overlay.pcap.capture.CaptureWriter;
import dev.overlay.pcap.capture.CapturedPacket;
import dev.overlay.pcap.capture.OracleProcess;
import dev.overlay.pcap.capture.TimestampPrecision;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * What the ESP tool tests share: the CLI run in-process, the oracles (tshark, python3 with scapy)
 * run as processes that fail the test when missing (never skip), configs written from a few
 * parameters, and captures read back as byte arrays.
 */
final class EspToolsFixture {
    static final String PYTHON = "/usr/bin/python3";
    static final HexFormat HEX = HexFormat.of();

    private EspToolsFixture() {
    }

    record Cli(int status, String out, String err) {
        Cli expect(int expected) {
            assertEquals(expected, status, () -> "exit " + status + "\nstdout: " + out + "\nstderr: " + err);
            return this;
        }
    }

    static Cli cli(Object... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] strings = new String[args.length];
        for (int i = 0; i < args.length; i++) {
            strings[i] = args[i].toString();
        }
        int status = Main.run(strings, new PrintWriter(out), new PrintWriter(err));
        return new Cli(status, out.toString(), err.toString());
    }

    /** Runs a tool; a missing tool or a non-zero exit fails the test with its stderr. Returns stdout. */
    static String run(List<String> command, Map<String, String> env) {
        return exec(command, env)[0];
    }

    /** As {@link #run}, returning stdout and stderr. */
    static String[] exec(List<String> command, Map<String, String> env) {
        OracleProcess.Result result = OracleProcess.run(command, env, 300);
        return new String[] {result.stdout(), result.stderr()};
    }

    /**
     * tshark's fields, one array per frame. {@code wiresharkConfig}: the directory holding an
     * {@code esp_sa} file (WIRESHARK_CONFIG_DIR), or null for none.
     */
    static List<String[]> tshark(Path capture, Path wiresharkConfig, List<String> options, String... fields) {
        List<String> command = new ArrayList<>(List.of("tshark", "-n", "-r", capture.toString()));
        for (String o : options) {
            command.add("-o");
            command.add(o);
        }
        command.addAll(List.of("-T", "fields", "-E", "occurrence=a", "-E", "aggregator=|"));
        for (String field : fields) {
            command.add("-e");
            command.add(field);
        }
        Map<String, String> env = wiresharkConfig == null ? Map.of()
                : Map.of("WIRESHARK_CONFIG_DIR", wiresharkConfig.toString());
        return run(command, env).lines().map(line -> line.split("\t", -1)).toList();
    }

    static Path resource(String name) {
        try {
            return Path.of(EspToolsFixture.class.getResource(name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            return fail("test resource " + name + " is missing");
        }
    }

    /** The repository root (surefire sets overlay.root), for test-pcaps/. */
    static Path root() {
        String root = System.getProperty("overlay.root");
        return root != null ? Path.of(root) : Path.of("..").toAbsolutePath().normalize();
    }

    static Path shared() {
        String env = System.getenv("OVERLAY_SHARED");
        return Path.of(env != null ? env : "/work/shared");
    }

    static List<byte[]> frames(Path capture) {
        List<byte[]> frames = new ArrayList<>();
        try (CaptureReader reader = CaptureReader.open(capture)) {
            CapturedPacket p;
            while ((p = reader.next()) != null) {
                frames.add(p.bytes());
            }
        } catch (CaptureException e) {
            fail(capture + ": " + e.getMessage());
        }
        return frames;
    }

    static void writeCapture(Path file, List<byte[]> frames) {
        try (CaptureWriter writer = CaptureWriter.create(file, TimestampPrecision.MICRO)) {
            long t = 1_700_000_000L;
            for (byte[] f : frames) {
                writer.write(f, t++, 0);
            }
        } catch (CaptureException e) {
            fail(file + ": " + e.getMessage());
        }
    }

    static String hex(byte[] bytes) {
        return "0x" + HEX.formatHex(bytes);
    }

    static byte[] randomBytes(Random random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    /** One SA line of a config, in flow style; the key and integrity key in hex, null to leave out. */
    static String sa(long spi, String direction, String algorithm, Integer icv, byte[] key, String integrity,
                     byte[] integrityKey, String mode, String extra) {
        StringBuilder sb = new StringBuilder("  - { spi: ").append(spi).append(", direction: ").append(direction)
                .append(", peer: gw-b, tenants: [blue, red], algorithm: ").append(algorithm);
        if (icv != null) {
            sb.append(", icv-length: ").append(icv);
        }
        if (key != null && key.length > 0) {
            sb.append(", key: \"").append(hex(key)).append('"');
        }
        if (integrity != null) {
            sb.append(", integrity: ").append(integrity).append(", integrity-key: \"").append(hex(integrityKey)).append('"');
        }
        sb.append(", mode: ").append(mode);
        if (extra != null) {
            sb.append(", ").append(extra);
        }
        return sb.append(" }\n").toString();
    }

    /**
     * A gateway gw-a with one peer gw-b and two tenants, blue (VXLAN 1001, vlan 101) and red
     * (Geneve 1002, vlan 102), both esp, with the given SA lines.
     */
    static String config(String gateway, String peer, boolean espInUdp, String sas) {
        return """
                gateway:
                  name: gw-a
                  address: "%s"
                  mac: "02:00:00:00:0a:01"
                  esp-transport: %s
                  underlay-mtu: 9000
                  workers: 1
                peers:
                  gw-b: { address: "%s", mac: "02:00:00:00:0b:01" }
                tenants:
                  blue: { vni: 1001, encapsulation: vxlan, vlan: 101, peers: [gw-b] }
                  red: { vni: 1002, encapsulation: geneve, vlan: 102, peers: [gw-b] }
                security-associations:
                """.formatted(gateway, espInUdp ? "udp" : "ip", peer) + sas;
    }

    static Path write(Path file, String text) {
        try {
            Files.writeString(file, text);
            return file;
        } catch (IOException e) {
            return fail(e);
        }
    }
}
