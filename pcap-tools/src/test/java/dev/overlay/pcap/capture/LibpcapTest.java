package dev.overlay.pcap.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LibpcapTest {
  @TempDir Path dir;

  @Test
  void debianMultiarchSonameIsTriedFirst() {
    assertEquals(Path.of("/usr/lib/x86_64-linux-gnu/libpcap.so.0.8"), Libpcap.candidates("amd64").get(0));
    assertEquals(Path.of("/usr/lib/aarch64-linux-gnu/libpcap.so.0.8"), Libpcap.candidates("aarch64").get(0));
  }

  @Test
  void firstExistingSkipsMissingLibraries() throws IOException {
    Path present = Files.createFile(dir.resolve("libpcap.so.1"));
    assertEquals(Optional.of(present), Libpcap.firstExisting(List.of(dir.resolve("libpcap.so.0.8"), present)));
    assertEquals(Optional.empty(), Libpcap.firstExisting(List.of(dir.resolve("libpcap.so"))));
  }

  @Test
  void ldconfigListingYieldsTheLibraryPath() throws IOException {
    Path lib = Files.createFile(dir.resolve("libpcap.so.0.8"));
    String listing = """
        1234 libs found in cache `/etc/ld.so.cache'
        \tlibpcre2-8.so.0 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libpcre2-8.so.0
        \tlibpcap.so.0.8 (libc6,x86-64) => %s
        """.formatted(lib);
    assertEquals(Optional.of(lib), Libpcap.parseLdconfig(listing));
    assertEquals(Optional.empty(), Libpcap.parseLdconfig("\tlibc.so.6 (libc6,x86-64) => /lib/libc.so.6\n"));
  }

  @Test
  void readingAndWritingPrintNothingOnStderr() throws IOException {
    Path in = dir.resolve("in.pcap");
    try (CaptureWriter writer = CaptureWriter.create(in, TimestampPrecision.NANO)) {
      writer.write(CaptureWriterTest.frame(60, 1), 1, 2);
    }
    Oracles.Result result = probe(List.of(), in.toString(), dir.resolve("out.pcap").toString());
    result.assertExit(0);
    assertEquals("copied 1\n", result.stdout());
    // No SLF4J binding warning, no Pcap4J INFO line, no JNA restricted-method warning.
    assertEquals("", result.stderr());
  }

  @Test
  void unloadableLibpcapIsOneSentenceNamingTheLibraryNotALinkError() throws IOException {
    Path in = Files.write(dir.resolve("in.pcap"), java.util.HexFormat.of().parseHex(
        "d4c3b2a1020004000000000000000000ffff000001000000"));
    Oracles.Result result = probe(List.of("-Dorg.pcap4j.core.pcapLibName=/nonexistent/libpcap.so.0.8"),
        in.toString(), dir.resolve("out.pcap").toString());
    result.assertExit(1);
    assertEquals("libpcap could not be loaded from /nonexistent/libpcap.so.0.8 (org.pcap4j.core.pcapLibName):"
        + " apt-get install libpcap0.8\n", result.stdout());
    assertEquals("", result.stderr());
  }

  /** Runs {@link CaptureProbeMain} in a fresh JVM as bin/overlay would (native access enabled). */
  private static Oracles.Result probe(List<String> jvmOptions, String... args) {
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
