package dev.overlay.pcap.keys;

import dev.overlay.config.SaConfig;
import dev.overlay.datapath.ExternalSa;
import dev.overlay.esp.EspAlgorithm;
import dev.overlay.esp.IntegrityAlgorithm;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What both SA file formats end in: an {@link ExternalSa} from a transform, its keys and the
 * SPI, checked with the sentences users see, as the config's own SAs are.
 */
final class Transforms {
    private Transforms() {
    }

    /** The transform and keys of one SA, once its file's names are resolved. */
    record Keys(EspAlgorithm algorithm, int icvLength, byte[] key, IntegrityAlgorithm integrity, byte[] integrityKey) {
    }

    /** The AES transform of a key of {@code keyBytes} (16, 24 or 32), else null. */
    static EspAlgorithm aes(int keyBytes, EspAlgorithm aes128, EspAlgorithm aes192, EspAlgorithm aes256) {
        return keyBytes == 16 ? aes128 : keyBytes == 24 ? aes192 : keyBytes == 32 ? aes256 : null;
    }

    /** The key lengths an AES transform takes, {@code extra} bytes of {@code what} (a salt, a nonce) after the key. */
    static String aesLengths(int extra, String what) {
        return extra == 0 ? "16, 24 or 32 (AES-128, AES-192 or AES-256)"
                : (16 + extra) + ", " + (24 + extra) + " or " + (32 + extra) + " (a 128-, 192- or 256-bit AES key and a "
                + extra + "-byte " + what + ")";
    }

    /**
     * An HMAC key as Linux and Wireshark take it: any non-empty length (HMAC takes any, RFC 2104
     * section 3), with a warning when it is not the length the algorithm's specification gives
     * (RFC 4868 section 2.1.1 for SHA-2), since run and encode would refuse it.
     */
    static void checkIntegrityKey(Path file, int line, String what, byte[] key, IntegrityAlgorithm integrity,
                                  List<String> warnings) {
        if (key.length == 0) {
            throw new SaFileException(file, line, what + " is empty (an HMAC under an empty key authenticates nothing)");
        }
        if (key.length != integrity.keyLength()) {
            warnings.add(file + ":" + line + ": warning: " + what + " has " + key.length + " bytes where "
                    + (integrity.sendable() ? "RFC 4868 section 2.1.1 gives " : "the hash output is ")
                    + integrity.keyLength() + ": opened (HMAC takes a key of any length, as Linux and Wireshark do)");
        }
    }

    /**
     * The SA, or a {@link SaFileException} at {@code line}. {@code mode} empty: the file does not
     * say. {@code window} is clamped to what the replay window holds (a larger one only accepts
     * more reordering). {@code esnReference}: with ESN, the number the file says the SA had
     * reached (see {@link ExternalSa}). {@code warnings} receives the reserved-SPI warning.
     */
    static ExternalSa sa(Path file, int line, long spi, Keys keys, Optional<InetAddress> source,
                         Optional<InetAddress> destination, Optional<SaConfig.Mode> mode, boolean esn, long window,
                         int espInUdpPort, OptionalLong esnReference, List<String> warnings) {
        if (spi == 0) {
            throw new SaFileException(file, line, "spi 0x00000000 is reserved: " + SaConfig.SPI_ZERO_REASON);
        }
        if (spi < SaConfig.UNRESERVED_SPI) {
            warnings.add(file + ":" + line + ": warning: " + SaConfig.reservedSpiWarning(spi));
        }
        if (keys.algorithm().requiresIntegrity() && keys.integrity() == null) {
            // Read as Linux reads it; RFC 3602's own ESP test vectors are encryption alone.
            warnings.add(file + ":" + line + ": warning: " + keys.algorithm() + " without integrity: anyone could have "
                    + "altered these packets undetected (RFC 4303 section 3.2)");
        }
        if (keys.algorithm() == EspAlgorithm.NULL && keys.integrity() == null) {
            warnings.add(file + ":" + line + ": warning: null encryption without integrity: ESP with no protection "
                    + "at all (anyone could have written these packets)");
        }
        int replayWindow = (int) Math.min(Math.max(window, 0), SaConfig.MAX_REPLAY_WINDOW);
        String peer = source.map(InetAddress::getHostAddress).orElse("*");
        try {
            SaConfig sa = new SaConfig(spi, SaConfig.Direction.IN, peer, List.of(), keys.algorithm(), keys.icvLength(),
                    keys.key(), keys.integrity(), keys.integrityKey(), mode.orElse(SaConfig.Mode.TRANSPORT), esn, 0,
                    replayWindow, SaConfig.Lifetime.UNLIMITED);
            return new ExternalSa(sa, source, destination, mode, espInUdpPort, file + ":" + line,
                    esn ? esnReference : OptionalLong.empty());
        } catch (IllegalArgumentException e) {
            // The callers check lengths first; this is the backstop, still one sentence.
            throw new SaFileException(file, line, "cannot use this SA: " + e.getMessage());
        }
    }

    /** {@code what} has {@code actual} bytes where {@code expected} were needed: the sentence for it. */
    static String length(String what, int actual, String expected) {
        return what + " has " + actual + " bytes (" + actual * 8 + " bits); expected " + expected;
    }
}
