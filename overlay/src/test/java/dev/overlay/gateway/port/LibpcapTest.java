package dev.overlay.gateway.port;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LibpcapTest {
    @TempDir
    Path dir;

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
}
