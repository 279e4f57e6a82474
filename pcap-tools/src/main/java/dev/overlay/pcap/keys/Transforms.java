package dev.overlay.pcap.keys;

import dev.overlay.config.SaConfig;
import dev.overlay.datapath.ExternalSa;
import dev.overlay.esp.EspAlgorithm;
import dev.overlay.esp.IntegrityAlgorithm;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

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

    /** The AES key lengths we have: 16 and 32 bytes (AES-192 is not implemented). */
    static EspAlgorithm aes(int keyBytes, EspAlgorithm aes128, EspAlgorithm aes256) {
        return keyBytes == 16 ? aes128 : keyBytes == 32 ? aes256 : null;
    }

    /**
     * The SA, or a {@link SaFileException} at {@code line}. {@code mode} empty: the file does not
     * say. {@code window} is clamped to what the replay window holds (a larger one only accepts
     * more reordering). {@code warnings} receives the reserved-SPI warning.
     */
    static ExternalSa sa(Path file, int line, long spi, Keys keys, Optional<InetAddress> source,
                         Optional<InetAddress> destination, Optional<SaConfig.Mode> mode, boolean esn, long window,
                         int espInUdpPort, List<String> warnings) {
        if (spi == 0) {
            throw new SaFileException(file, line, "spi 0x00000000 is reserved: " + SaConfig.SPI_ZERO_REASON);
        }
        if (spi < SaConfig.UNRESERVED_SPI) {
            warnings.add(file + ":" + line + ": warning: " + SaConfig.reservedSpiWarning(spi));
        }
        if (keys.algorithm() == EspAlgorithm.AES_CBC_128 || keys.algorithm() == EspAlgorithm.AES_CBC_256) {
            if (keys.integrity() == null) {
                throw new SaFileException(file, line, "AES-CBC without an authentication algorithm is not supported "
                        + "(RFC 4303 section 3.2: encryption alone leaves ESP open to forgery)");
            }
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
            return new ExternalSa(sa, source, destination, mode, espInUdpPort, file + ":" + line);
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
