package dev.overlay.pcap;

import static org.junit.jupiter.api.Assertions.fail;

import dev.overlay.pcap.capture.OracleProcess;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The independent judges of the pcap commands: tshark's dissectors and scapy (python3), and the
 * files they read: test-pcaps/ and the third-party captures of ../shared/vectors. A missing tool
 * fails the test with the package to install; it never skips.
 */
final class OracleTools {
    static final String PYTHON = "/usr/bin/python3";

    private OracleTools() {
    }

    /** The repository root: surefire sets overlay.root; the working directory is the module. */
    static Path root() {
        String root = System.getProperty("overlay.root");
        return root != null ? Path.of(root) : Path.of("..").toAbsolutePath().normalize();
    }

    static Path testPcap(String name) {
        return root().resolve("test-pcaps").resolve(name);
    }

    /** A capture of the shared third-party vectors (read-only, never copied into the repository). */
    static Path tcpdumpCapture(String name) {
        String shared = System.getenv("OVERLAY_SHARED");
        return Path.of(shared != null ? shared : "/work/shared", "vectors", "captures", "tcpdump", name);
    }

    /** A test resource of this package as a file (resources are copied to target/test-classes). */
    static Path resource(String name) {
        URL url = OracleTools.class.getResource(name);
        if (url == null) {
            return fail("missing test resource " + name);
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            return fail(e);
        }
    }

    /** tshark's fields, one array per frame, tab-separated; {@code options} go before the fields. */
    static List<String[]> tsharkFields(Path capture, List<String> options, String... fields) {
        List<String> command = new ArrayList<>(List.of("tshark", "-n", "-r", capture.toString()));
        command.addAll(List.of("-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,"));
        command.addAll(options); // after the defaults, so that an -E of the caller's wins
        for (String field : fields) {
            command.add("-e");
            command.add(field);
        }
        return run(command).lines().map(line -> line.split("\t", -1)).toList();
    }

    /** Runs the scapy helper of this package ({@code overlay_scapy.py}) and returns its lines. */
    static List<String> scapy(String... args) {
        List<String> command = new ArrayList<>(List.of(PYTHON, resource("overlay_scapy.py").toString()));
        command.addAll(List.of(args));
        return run(command).lines().toList();
    }

    /** Each packet of {@code capture} as scapy reads it. */
    static List<byte[]> scapyFrames(Path capture) {
        return scapy("frames", capture.toString()).stream().map(HexFormat.of()::parseHex).toList();
    }

    /** The frame inside each packet's VXLAN or Geneve header as scapy dissects it. */
    static List<byte[]> scapyInnerFrames(Path capture) {
        return scapy("inner", capture.toString()).stream()
                .map(h -> h.equals("-") ? new byte[0] : HexFormat.of().parseHex(h)).toList();
    }

    /** Runs {@code command}, fails unless it exits 0, returns its stdout. */
    static String run(List<String> command) {
        return OracleProcess.run(command, Map.of(), 120).stdout();
    }
}
