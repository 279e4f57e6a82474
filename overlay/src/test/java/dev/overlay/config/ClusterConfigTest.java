package dev.overlay.config;

import static dev.overlay.config.Fixtures.assertError;
import static dev.overlay.config.Fixtures.assertValid;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.esp.EspAlgorithm;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code gateway.cluster}: parsed with defaults, every mistake one error with its line, the PSK never shown. */
class ClusterConfigTest {
    @TempDir
    Path dir;

    /** A cluster gateway with no peers of its own: tenants flood to what etcd says. */
    private static final String CLUSTERED = """
            gateway:
              name: gw-a
              address: 192.0.2.1
              cluster:
                etcd: [http://127.0.0.1:2379, "http://127.0.0.1:22379"]
                prefix: /overlay/lab
            tenants:
              blue:
                vni: 1001
            """;

    private ConfigResult parse(String yaml) {
        return ConfigLoader.parse(dir.resolve("gw-a.yaml"), yaml);
    }

    @Test
    void aClusterSectionParsesWithItsDefaultsAndNeedsNoPeers() {
        OverlayConfig c = assertValid(parse(CLUSTERED));
        ClusterConfig cl = c.gateway().cluster().orElseThrow();
        assertEquals(List.of(URI.create("http://127.0.0.1:2379"), URI.create("http://127.0.0.1:22379")), cl.etcd());
        assertEquals("/overlay/lab", cl.prefix());
        assertEquals(EspAlgorithm.AES_GCM_256, cl.algorithm());
        assertEquals(ClusterConfig.DEFAULT_REKEY_SECONDS, cl.rekeySeconds());
        assertEquals(ClusterConfig.DEFAULT_GRACE_SECONDS, cl.graceSeconds());
        assertEquals(ClusterConfig.DEFAULT_LEASE_SECONDS, cl.leaseSeconds());
        assertFalse(cl.hasPsk());
        assertTrue(c.peers().isEmpty());
        assertEquals(List.of(), c.tenants().get("blue").peers());
        String report = CheckReport.of(parse(CLUSTERED)).render();
        assertTrue(report.contains("  cluster etcd http://127.0.0.1:2379 http://127.0.0.1:22379, prefix /overlay/lab, psk none"),
                report);
        // The tenant's MTU is that of the SAs the cluster will derive (aes-gcm-256, ICV 16), not cleartext's.
        assertTrue(report.contains("16 icv"), report);
    }

    @Test
    void withoutAClusterPeersAndFloodListsAreStillRequired() {
        String noCluster = CLUSTERED.replace("""
                  cluster:
                    etcd: [http://127.0.0.1:2379, "http://127.0.0.1:22379"]
                    prefix: /overlay/lab
                """, "");
        ConfigResult r = parse(noCluster);
        assertError(r, "peers", 1, "missing required key 'peers'");
        assertError(r, "tenants.blue.peers", 5, "missing required key 'peers'");
    }

    @Test
    void anUnknownKeySaysWhatWasMeant() {
        ConfigResult r = parse(CLUSTERED.replace("prefix: /overlay/lab", "prefix: /overlay/lab\n    lease-tll: 5"));
        assertError(r, "gateway.cluster.lease-tll", 7, "unknown key 'lease-tll' (did you mean 'lease-ttl'?)");
    }

    @Test
    void badEndpointsAndPrefixesAreErrorsWithTheirLines() {
        ConfigResult r = parse(CLUSTERED.replace("etcd: [http://127.0.0.1:2379, \"http://127.0.0.1:22379\"]",
                "etcd: [127.0.0.1:2379]").replace("prefix: /overlay/lab", "prefix: overlay/lab/"));
        assertError(r, "gateway.cluster.etcd[0]", 5, "is not an http:// or https:// URL");
        assertError(r, "gateway.cluster.prefix", 6, "'overlay/lab/' is not a key prefix");
        assertError(parse(CLUSTERED.replace("etcd: [http://127.0.0.1:2379, \"http://127.0.0.1:22379\"]", "etcd: []")),
                "gateway.cluster.etcd", 5, "needs at least one endpoint");
        assertError(parse(CLUSTERED.replace("\"http://127.0.0.1:22379\"", "\"http://127.0.0.1\"")),
                "gateway.cluster.etcd[1]", 5, "needs a host and a port");
        assertError(parse(CLUSTERED.replace("prefix: /overlay/lab", "prefix: /overlay/lab\n    algorithm: aes-cbc-128")),
                "gateway.cluster.algorithm", 7, "algorithm 'aes-cbc-128' is not one of aes-gcm-128, aes-gcm-256, chacha20-poly1305");
        assertError(parse(CLUSTERED.replace("prefix: /overlay/lab", "prefix: /overlay/lab\n    lease-ttl: 1")),
                "gateway.cluster.lease-ttl", 7, "lease-ttl 1 is out of range (expected 2..3600)");
    }

    @Test
    void thePreSharedKeyIsReadLikeAKeyFileAndNeverShown() throws Exception {
        byte[] psk = new byte[32];
        for (int i = 0; i < psk.length; i++) {
            psk[i] = (byte) (0xA0 + i);
        }
        Path file = dir.resolve("cluster.psk");
        Files.writeString(file, HexFormat.of().formatHex(psk) + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        String yaml = CLUSTERED.replace("prefix: /overlay/lab", "prefix: /overlay/lab\n    psk-file: cluster.psk");
        assertError(parse(yaml), "gateway.cluster.psk-file", 7,
                "psk-file cluster.psk is readable by group or others (mode 0644); chmod 600 it");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        ClusterConfig cl = assertValid(parse(yaml)).gateway().cluster().orElseThrow();
        assertArrayEquals(psk, cl.psk());
        String report = CheckReport.of(parse(yaml)).render() + cl;
        assertTrue(report.contains("psk set"), report);
        assertFalse(report.toLowerCase().contains("a0a1a2a3"), "no byte of the PSK in check or toString");

        Files.writeString(file, "00112233");
        assertError(parse(yaml), "gateway.cluster.psk-file", 7, "holds 4 bytes (expected at least 32");
    }

    @Test
    void tlsNeedsHttpsEndpointsAndAPrivateKeyFile() throws Exception {
        Files.writeString(dir.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n");
        Files.writeString(dir.resolve("gw.pem"), "-----BEGIN CERTIFICATE-----\n");
        Path key = dir.resolve("gw.key");
        Files.writeString(key, "-----BEGIN PRIVATE KEY-----\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r-----"));
        String tls = "prefix: /overlay/lab\n    tls: { ca: ca.pem, cert: gw.pem, key: gw.key }";
        ConfigResult r = parse(CLUSTERED.replace("prefix: /overlay/lab", tls));
        assertError(r, "gateway.cluster.etcd[0]", 5, "tls is set but http://127.0.0.1:2379 is not https://");
        assertError(r, "gateway.cluster.tls.key", 7, "key gw.key is readable by group or others (mode 0640)");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        OverlayConfig c = assertValid(parse(CLUSTERED.replace("http://", "https://").replace("prefix: /overlay/lab", tls)));
        ClusterConfig.Tls t = c.gateway().cluster().orElseThrow().tls().orElseThrow();
        assertEquals(dir.resolve("ca.pem"), t.ca().orElseThrow());
        assertEquals(key, t.key().orElseThrow());
        assertError(parse(CLUSTERED.replace("http://", "https://").replace("prefix: /overlay/lab",
                "prefix: /overlay/lab\n    tls: { cert: gw.pem }")), "gateway.cluster.tls.key", 7, "cert and key go together");
    }
}
