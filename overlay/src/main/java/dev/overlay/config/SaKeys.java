package dev.overlay.config;

import dev.overlay.esp.EspAlgorithm;
import dev.overlay.esp.IntegrityAlgorithm;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads what an SA's algorithms need of its entry in {@code security-associations}: the ICV
 * length (chosen only for combined-mode algorithms, fixed by the integrity algorithm otherwise),
 * the cipher's key material (key then salt, RFC 4106 section 8.1), and the integrity key
 * (RFC 4868 section 2.1.1), each inline in hex or from a key file, never echoed back.
 */
final class SaKeys {
    private final Problems problems;
    private final Path configDir;

    SaKeys(Problems problems, Path configDir) {
        this.problems = problems;
        this.configDir = configDir;
    }

    Integer icvLength(YamlMap m, EspAlgorithm algorithm, IntegrityAlgorithm integrity) {
        if (algorithm == null) {
            return null;
        }
        if (algorithm.combined()) {
            Long icv = m.integer("icv-length", 0, 64, 16L, false);
            if (icv != null && !algorithm.icvLengths().contains(icv.intValue())) {
                problems.error(m.child("icv-length"), "icv-length " + icv + " is not allowed for " + algorithm
                        + " (expected one of " + algorithm.icvLengths() + ")");
                return null;
            }
            return icv == null ? null : icv.intValue();
        }
        int fixed = integrity == null ? 0 : integrity.icvLength();
        if (m.has("icv-length")) {
            Long icv = m.integer("icv-length", 0, 64, null, false);
            if (icv != null && icv != fixed) {
                problems.error(m.child("icv-length"), "icv-length applies to combined-mode algorithms; "
                        + algorithm + (integrity == null ? " without integrity has no ICV"
                        : " with " + integrity + " has a " + fixed + "-byte ICV"));
                return null;
            }
        }
        return fixed;
    }

    byte[] key(YamlMap m, EspAlgorithm algorithm) {
        byte[] key = material(m, "key", "key-file", algorithm == null || algorithm.keyMaterialLength() > 0);
        if (key == null || algorithm == null) {
            return algorithm == EspAlgorithm.NULL && !m.has("key") && !m.has("key-file") ? new byte[0] : null;
        }
        if (key.length != algorithm.keyMaterialLength()) {
            String expected = algorithm.keyMaterialLength() == 0 ? "no key material for null"
                    : algorithm.saltLength() == 0
                    ? algorithm.keyMaterialLength() + " bytes, no salt for " + algorithm
                    : algorithm.keyMaterialLength() + " bytes: " + algorithm.keyLength() + "-byte key then "
                    + algorithm.saltLength() + "-byte salt";
            problems.error(m.child(m.has("key") ? "key" : "key-file"), algorithm + " key is " + key.length
                    + " bytes (expected " + expected + ")");
            return null;
        }
        return key;
    }

    /**
     * The integrity key. Strict in what we send, liberal in what we read: integrity missing where
     * RFC 4303 section 3.2 needs it, or a key of other than RFC 4868's length, is an error for
     * {@code run} and {@code encode} and a warning for the readers, which open such SAs as Linux
     * and Wireshark do (HMAC takes a key of any length, RFC 2104 section 3).
     */
    byte[] integrityKey(YamlMap m, EspAlgorithm algorithm, IntegrityAlgorithm integrity) {
        if (algorithm != null && !m.has("integrity") && algorithm.requiresIntegrity()) {
            problems.gap(m.child("integrity"), algorithm + " needs an integrity algorithm (encryption "
                    + "without integrity is open to active attacks, RFC 4303 section 3.2): one of "
                    + "hmac-sha256-128, hmac-sha384-192, hmac-sha512-256", Purpose.SENDING,
                    "an integrity algorithm for " + m.path() + " (" + algorithm + ")");
            problems.warning(m.child("integrity"), algorithm + " without integrity: anyone could have altered "
                    + "these packets undetected (RFC 4303 section 3.2); opened for reading, refused by run and encode",
                    Purpose.READING);
        }
        if (algorithm != null && algorithm.combined() && m.has("integrity")) {
            problems.error(m.child("integrity"), algorithm + " carries its own ICV; integrity applies only "
                    + "to aes-cbc-*, aes-ctr-*, 3des-cbc, des-cbc and null");
            return null;
        }
        if (integrity == null) {
            for (String k : List.of("integrity-key", "integrity-key-file")) {
                if (m.has(k) && !m.has("integrity")) {
                    problems.error(m.child(k), k + " given without integrity");
                }
            }
            return null;
        }
        byte[] key = material(m, "integrity-key", "integrity-key-file", true);
        String path = m.child(m.has("integrity-key") ? "integrity-key" : "integrity-key-file");
        if (key != null && key.length == 0) {
            problems.error(path, integrity + " key is empty (an HMAC under an empty key authenticates nothing)");
            return null;
        }
        if (key != null && key.length != integrity.keyLength()) {
            String rfc = integrity.sendable() ? "RFC 4868 section 2.1.1" : "as long as the hash output";
            problems.gap(path, integrity + " key is " + key.length + " bytes (expected " + integrity.keyLength()
                    + " bytes, " + rfc + ")", Purpose.SENDING, "a " + integrity.keyLength() + "-byte " + integrity
                    + " key for " + m.path());
            problems.warning(path, integrity + " key is " + key.length + " bytes where " + rfc + " gives "
                    + integrity.keyLength() + ": opened for reading (HMAC takes a key of any length, as Linux and "
                    + "Wireshark do), refused by run and encode", Purpose.READING);
        }
        return key;
    }

    /** Inline hex under {@code inline}, or a file named under {@code fileKey}; exactly one. */
    private byte[] material(YamlMap m, String inline, String fileKey, boolean required) {
        if (m.has(inline) && m.has(fileKey)) {
            problems.error(m.child(fileKey), "give " + inline + " or " + fileKey + ", not both");
            return null;
        }
        if (m.has(fileKey)) {
            return m.parsed(fileKey, true, written -> KeyFiles.read(configDir, written));
        }
        if (!m.has(inline) && required) {
            problems.error(m.child(inline), problems.line(m.path()), "missing required key '" + inline + "' (or " + fileKey + ")");
            return null;
        }
        // Scalars.hexBytes never echoes the value: even mistyped, it is key material.
        return m.parsed(inline, false, Scalars::hexBytes);
    }
}
