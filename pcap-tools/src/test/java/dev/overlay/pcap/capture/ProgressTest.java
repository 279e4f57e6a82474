package dev.overlay.pcap.capture;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProgressTest {
    @Test
    void barOnlyForLargeFilesOnATerminalOutsideCi() {
        assertTrue(Progress.shouldShow(Progress.MIN_SIZE + 1, true, false));
        assertFalse(Progress.shouldShow(Progress.MIN_SIZE, true, false));
        assertFalse(Progress.shouldShow(1L << 30, false, false));
        assertFalse(Progress.shouldShow(1L << 30, true, true));
    }

    @Test
    void testsNeverSeeABarBecauseStderrIsNotATerminal(@TempDir Path dir) throws IOException {
        Path large = dir.resolve("large.pcap");
        try (RandomAccessFile file = new RandomAccessFile(large.toFile(), "rw")) {
            file.setLength(Progress.MIN_SIZE * 2);
        }
        Progress progress = Progress.forFile(large, "reading");
        assertSame(Progress.none(), progress);
        assertFalse(progress.isShown());
        progress.update(1000);
        progress.close();
    }
}
