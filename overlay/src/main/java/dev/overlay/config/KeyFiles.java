package dev.overlay.config;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Reads {@code key-file} and {@code integrity-key-file}: hex digits, optionally 0x-prefixed,
 * whitespace and newlines ignored (so {@code openssl rand -hex 36 > blue.key} works).
 *
 * <p>A key file that group or others may access is refused, as ssh refuses a private key: a key
 * another local user can read is a key shared with that user, and one they can write lets them
 * choose our key. Relative paths resolve against the config file's directory so a config and
 * its keys move together.
 */
final class KeyFiles {

    /** Hex of the largest key (64-byte HMAC-SHA-512 key) with generous room for formatting. */
    private static final long MAX_BYTES = 64 * 1024;

    private KeyFiles() {
    }

    static byte[] read(Path configDir, String written) {
        return read(configDir, written, "key-file");
    }

    /** As {@link #read(Path, String)}, with {@code what} (the config key) naming the file in errors. */
    static byte[] read(Path configDir, String written, String what) {
        Path file = configDir == null ? Path.of(written) : configDir.resolve(written);
        try {
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException(Files.exists(file)
                        ? what + " " + written + " is not a regular file"
                        : what + " " + written + " does not exist (resolved to " + file + ")");
            }
            checkPrivate(file, what, written);
            if (Files.size(file) > MAX_BYTES) {
                throw new IllegalArgumentException(what + " " + written + " is larger than " + MAX_BYTES
                        + " bytes; expected hex key material");
            }
            return Scalars.hexBytes(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(what + " " + written + " does not exist");
        } catch (AccessDeniedException e) {
            throw new IllegalArgumentException(what + " " + written + " cannot be read: permission denied");
        } catch (IOException e) {
            throw new IllegalArgumentException(what + " " + written + " cannot be read: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            if (e.getMessage().startsWith(what)) {
                throw e;
            }
            throw new IllegalArgumentException(what + " " + written + ": " + e.getMessage());
        }
    }

    /** Refuses a secret file that group or others may access, as ssh refuses a private key. */
    static void checkPrivate(Path file, String what, String written) {
        try {
            if (Files.getFileStore(file).supportsFileAttributeView("posix")) {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
                boolean readable = perms.contains(PosixFilePermission.GROUP_READ)
                        || perms.contains(PosixFilePermission.OTHERS_READ);
                boolean accessible = perms.stream().anyMatch(p -> p.name().startsWith("GROUP")
                        || p.name().startsWith("OTHERS"));
                if (accessible) {
                    throw new IllegalArgumentException(what + " " + written + " is "
                            + (readable ? "readable" : "accessible") + " by group or others (mode "
                            + mode(perms) + "); chmod 600 it");
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(what + " " + written + " cannot be inspected: " + e.getMessage());
        }
    }

    /** Octal mode as ls and chmod write it, e.g. 0644. */
    static String mode(Set<PosixFilePermission> perms) {
        String rwx = PosixFilePermissions.toString(perms);
        int mode = 0;
        for (int i = 0; i < 9; i++) {
            if (rwx.charAt(i) != '-') {
                mode |= 1 << (8 - i);
            }
        }
        return String.format("%04o", mode);
    }
}
