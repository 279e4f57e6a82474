package dev.overlay.pcap.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Libpcap as the capture tools meet it, from a fresh JVM (discovery itself: overlay's LibpcapTest). */
class LibpcapTest {
    @TempDir Path dir;

    @Test
    void readingAndWritingPrintNothingOnStderr() throws IOException {
        Path in = dir.resolve("in.pcap");
        try (CaptureWriter writer = CaptureWriter.create(in, TimestampPrecision.NANO)) {
            writer.write(CaptureWriterTest.frame(60, 1), 1, 2);
        }
        OracleProcess.Result result = probe(List.of(), in.toString(), dir.resolve("out.pcap").toString());
        result.assertExit(0);
        assertEquals("copied 1\n", result.stdout());
        // No SLF4J binding warning, no Pcap4J INFO line, no JNA restricted-method warning.
        assertEquals("", result.stderr());
    }

    @Test
    void unloadableLibpcapIsOneSentenceNamingTheLibraryNotALinkError() throws IOException {
        Path in = Files.write(dir.resolve("in.pcap"), java.util.HexFormat.of().parseHex(
                "d4c3b2a1020004000000000000000000ffff000001000000"));
        OracleProcess.Result result = probe(List.of("-Dorg.pcap4j.core.pcapLibName=/nonexistent/libpcap.so.0.8"),
                in.toString(), dir.resolve("out.pcap").toString());
        result.assertExit(1);
        assertEquals("libpcap could not be loaded from /nonexistent/libpcap.so.0.8 (org.pcap4j.core.pcapLibName):"
                + " apt-get install libpcap0.8\n", result.stdout());
        assertEquals("", result.stderr());
    }

    /** Runs {@link CaptureProbeMain} in a fresh JVM as bin/overlay would (native access enabled). */
    private static OracleProcess.Result probe(List<String> jvmOptions, String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--enable-native-access=ALL-UNNAMED");
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(CaptureProbeMain.class.getName());
        command.addAll(List.of(args));
        return Oracles.exec(command);
    }
}
