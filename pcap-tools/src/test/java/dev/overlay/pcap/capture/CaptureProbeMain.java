package dev.overlay.pcap.capture;

import java.nio.file.Path;

/**
 * Run in a child JVM by {@link LibpcapTest}: copies args[0] to args[1] as a CLI would, printing
 * a {@link CaptureException}'s message on stdout and exiting 1, so the test can see exactly what
 * a user would see on stderr, from a fresh JVM where Pcap4J has not been loaded yet.
 */
final class CaptureProbeMain {
    private CaptureProbeMain() {}

    public static void main(String[] args) {
        try (CaptureReader reader = CaptureReader.openWithProgress(Path.of(args[0]), "copy");
                CaptureWriter writer = CaptureWriter.create(Path.of(args[1]), reader.precision())) {
            for (CapturedPacket p; (p = reader.next()) != null; ) {
                writer.write(p);
            }
            System.out.println("copied " + writer.packetsWritten());
        } catch (CaptureException e) {
            System.out.println(e.getMessage());
            System.exit(1);
        }
    }
}
