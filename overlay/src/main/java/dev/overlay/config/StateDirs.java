package dev.overlay.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/**
 * Validates {@code gateway.state-dir}: where the gateway persists its outbound sequence-number
 * reservations, so that a restart never sends a sequence number (the nonce of GCM, CCM,
 * ChaCha20-Poly1305 and GMAC) twice under one key.
 *
 * <p>The directory must exist (the gateway does not create it: a typo must not silently start
 * a fresh, empty state), be writable, and be writable by nobody else: whoever can replace the
 * state file can roll our sequence numbers back and make us reuse nonces. Relative paths
 * resolve against the config file's directory, as {@code key-file} does.
 */
final class StateDirs {
    private StateDirs() {
    }

    static Path resolve(Path configDir, String written) {
        if (written.isBlank()) {
            throw new IllegalArgumentException("state-dir is empty (expected a directory)");
        }
        Path dir = (configDir == null ? Path.of(written) : configDir.resolve(written)).normalize();
        if (!Files.exists(dir)) {
            throw new IllegalArgumentException("state-dir " + written + " does not exist (resolved to " + dir
                    + "); create it, owned by the service user, mode 0700");
        }
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("state-dir " + written + " is not a directory");
        }
        if (!Files.isWritable(dir)) {
            throw new IllegalArgumentException("state-dir " + written + " is not writable by this user");
        }
        try {
            if (Files.getFileStore(dir).supportsFileAttributeView("posix")) {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir);
                if (perms.contains(PosixFilePermission.GROUP_WRITE) || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
                    throw new IllegalArgumentException("state-dir " + written + " is writable by group or others (mode "
                            + KeyFiles.mode(perms) + "); chmod 700 it");
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("state-dir " + written + " cannot be inspected: " + e.getMessage());
        }
        return dir;
    }
}
