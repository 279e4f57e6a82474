package dev.overlay.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every example in configs/ passes check; the two-gateway pair mirrors each other's SAs. */
class ExampleConfigsTest {

    private static Path configs() {
        String root = System.getProperty("overlay.root");
        return (root == null ? Path.of("..") : Path.of(root)).resolve("configs");
    }

    private static OverlayConfig load(String name) {
        ConfigResult r = ConfigLoader.load(configs().resolve(name));
        assertTrue(r.ok(), () -> ConfigErrors.format(r.errors()));
        return r.orThrow();
    }

    @Test
    void everyExampleConfigIsValid() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(configs())) {
            files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertTrue(files.size() >= 3, () -> "examples found: " + files);
        for (Path f : files) {
            ConfigResult r = ConfigLoader.load(f);
            assertTrue(r.ok(), () -> ConfigErrors.format(r.errors()));
            assertFalse(CheckReport.of(r).render().isEmpty());
        }
    }

    @Test
    void twoTenantGatewaysMirrorEachOther() {
        OverlayConfig a = load("two-tenants-gw-a.yaml");
        OverlayConfig b = load("two-tenants-gw-b.yaml");
        assertEquals(a.gateway().address(), b.peers().get(a.gateway().name()).address());
        assertEquals(b.gateway().address(), a.peers().get(b.gateway().name()).address());
        assertEquals(4, a.securityAssociations().size());
        for (SaConfig sa : a.securityAssociations()) {
            SaConfig mirror = b.securityAssociations().stream()
                    .filter(m -> m.spi() == sa.spi() && m.direction() != sa.direction()).findFirst().orElseThrow();
            assertEquals(sa.tenants(), mirror.tenants());
            assertEquals(sa.algorithm(), mirror.algorithm());
            assertArrayEquals(sa.key(), mirror.key());
        }
        assertEquals(a.tenants().get("blue").vni(), b.tenants().get("blue").vni());
        assertEquals(a.tenants().get("red").geneveOptions(), b.tenants().get("red").geneveOptions());
    }

    @Test
    void cleartextLabIsWarnedAbout() {
        ConfigResult r = ConfigLoader.load(configs().resolve("cleartext-lab.yaml"));
        assertEquals(2, r.warnings().stream().filter(w -> w.message().startsWith("cleartext")).count());
    }
}
