package dev.overlay.pcap.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Coverage-guided fuzzing (Jazzer) of capture reading: the pcap and pcapng header checks of
 * {@link CaptureHeader} (Java, instrumented) and libpcap's record reader behind Pcap4J (native:
 * not coverage-guided, but fed the mutated files). Files under
 * {@code CaptureReaderFuzzTestInputs/} replay in every test run; {@code JAZZER_FUZZ=1} fuzzes
 * (FUZZING.md).
 *
 * <p>Invariants: a file is read to its end or refused with a {@link CaptureException} (a user
 * sees one sentence, exit 1), never another exception and never a JVM crash in libpcap; the
 * record count is bounded by the file's size; after an exception the reader reports the end;
 * after close it refuses to read.
 */
class CaptureReaderFuzzTest {
    private static final boolean FUZZING = System.getenv("JAZZER_FUZZ") != null;
    private static final Path FILE = tempFile();

    private static Path tempFile() {
        try {
            Path p = Files.createTempFile("capture-fuzz-", ".pcap");
            p.toFile().deleteOnExit();
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "20s")
    void readArbitraryFile(byte[] input) throws IOException {
        Files.write(FILE, input);
        if (FUZZING) {
            read(input.length); // libFuzzer's -timeout watches for hangs
        } else {
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> read(input.length));
        }
    }

    private static void read(int size) {
        CaptureReader reader;
        try {
            reader = CaptureReader.open(FILE);
        } catch (CaptureException e) {
            assertMessage(e);
            return;
        }
        try {
            // A record takes at least 16 bytes (pcap) or 12 (pcapng) of the file.
            long bound = size / 12 + 1;
            long records = 0;
            try {
                while (reader.next() != null) {
                    records++;
                    assertTrue(records <= bound, "more records than the file can hold");
                }
            } catch (CaptureException e) {
                assertMessage(e);
            }
            assertEquals(records, reader.packetsRead());
            assertNull(assertDoesNotThrowNext(reader), "the end stays the end");
        } finally {
            reader.close();
        }
        assertThrows(IllegalStateException.class, reader::next);
    }

    private static CapturedPacket assertDoesNotThrowNext(CaptureReader reader) {
        try {
            return reader.next();
        } catch (CaptureException e) {
            throw new AssertionError("an error after the end: " + e.getMessage(), e);
        }
    }

    private static void assertMessage(CaptureException e) {
        String m = e.getMessage();
        assertTrue(m != null && m.startsWith(FILE.toString() + ": ") && !m.contains("\n"), m);
    }
}
