package dev.overlay.config;

import static dev.overlay.config.Fixtures.KEY_A;
import static dev.overlay.config.Fixtures.assertError;
import static dev.overlay.config.Fixtures.assertValid;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** key-file: hex content, resolved against the config's directory, refused when others may read it. */
class KeyFileTest {

    @TempDir
    Path dir;

    private Path config(String keyLine) throws IOException {
        Path file = dir.resolve("gw.yaml");
        Files.writeString(file, Fixtures.base("key: \"" + KEY_A + "\"", keyLine));
        return file;
    }

    private Path keyFile(String name, String content, String mode) throws IOException {
        Path f = dir.resolve(name);
        Files.createDirectories(f.getParent());
        Files.writeString(f, content);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(mode));
        return f;
    }

    @Test
    void privateKeyFileLoadsRelativeToTheConfig() throws IOException {
        // As `openssl rand -hex 36` writes it: no 0x, a newline; wrapped here to show whitespace is ignored.
        keyFile("keys/blue-out.key", KEY_A.substring(2, 40) + "\n" + KEY_A.substring(40) + "\n", "rw-------");
        OverlayConfig c = assertValid(ConfigLoader.load(config("key-file: keys/blue-out.key")));
        assertArrayEquals(HexFormat.of().parseHex(KEY_A.substring(2)), c.securityAssociations().get(0).key());
    }

    @Test
    void zeroXPrefixedKeyFileLoads() throws IOException {
        keyFile("k.key", KEY_A + "\n", "r--------");
        assertValid(ConfigLoader.load(config("key-file: k.key")));
    }

    @Test
    void groupOrWorldReadableKeyFileIsRefusedLikeSsh() throws IOException {
        keyFile("keys/x.key", KEY_A, "rw-r--r--");
        assertError(ConfigLoader.load(config("key-file: keys/x.key")), "security-associations[0].key-file", 17,
                "key-file keys/x.key is readable by group or others (mode 0644); chmod 600 it");
        keyFile("keys/y.key", KEY_A, "rw--w----");
        assertError(ConfigLoader.load(config("key-file: keys/y.key")), "security-associations[0].key-file", 17,
                "key-file keys/y.key is accessible by group or others (mode 0620); chmod 600 it");
    }

    @Test
    void missingOrMalformedKeyFileIsNamed() throws IOException {
        assertError(ConfigLoader.load(config("key-file: keys/none.key")), "security-associations[0].key-file", 17,
                "key-file keys/none.key does not exist");
        keyFile("short.key", KEY_A.substring(0, 66), "rw-------");
        assertError(ConfigLoader.load(config("key-file: short.key")), "security-associations[0].key-file", 17,
                "aes-gcm-256 key is 32 bytes (expected 36 bytes: 32-byte key then 4-byte salt)");
        keyFile("odd.key", "0xabc", "rw-------");
        assertError(ConfigLoader.load(config("key-file: odd.key")), "security-associations[0].key-file", 17,
                "key-file odd.key: expected hex bytes, got an odd number of hex digits");
    }

    @Test
    void integrityKeyFileIsCheckedTheSameWay() throws IOException {
        keyFile("cbc.key", "0x" + "22".repeat(32), "rw-------");
        keyFile("hmac.key", "0x" + "11".repeat(32), "rw-r-----");
        Path file = dir.resolve("gw.yaml");
        Files.writeString(file, Fixtures.BASE.replaceFirst("algorithm: aes-gcm-256\n    key: \"" + KEY_A + "\"",
                "algorithm: aes-cbc-256\n    key-file: cbc.key\n    integrity: hmac-sha256-128\n"
                        + "    integrity-key-file: hmac.key"));
        assertError(ConfigLoader.load(file), "security-associations[0].integrity-key-file", 19,
                "key-file hmac.key is readable by group or others (mode 0640)");
    }
}
