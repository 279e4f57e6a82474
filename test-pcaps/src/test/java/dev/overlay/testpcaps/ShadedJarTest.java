package dev.overlay.testpcaps;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The jar bin/overlay runs (pcap-tools/target/overlay.jar, packaged before this module's tests),
 * started as bin/overlay starts it: plain {@code java -jar}. Its manifest must open the JDK's
 * GCM internals (Add-Opens) so that the gateway and the tools use the allocation-free AES-GCM,
 * not the JCA fallback; {@code --version} says which one runs.
 */
class ShadedJarTest {

    @Test
    void theJarRunsTheAllocationFreeAesGcmWithoutExtraFlags() {
        Path jar = Tools.moduleDir().resolveSibling("pcap-tools").resolve("target").resolve("overlay.jar");
        assertTrue(Files.isRegularFile(jar), () -> jar + " is missing: pcap-tools is packaged before test-pcaps");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String version = Tools.run(List.of(java, "-jar", jar.toString(), "--version"));
        assertTrue(version.startsWith("overlay "), version);
        assertTrue(version.contains("aes-gcm: jdk-intrinsics"), version);
    }
}
