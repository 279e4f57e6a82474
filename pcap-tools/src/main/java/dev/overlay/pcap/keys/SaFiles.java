package dev.overlay.pcap.keys;

import dev.overlay.datapath.ExternalSa;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the {@code --sa-file}s: each is told apart by its first line ({@code src ... dst ...}:
 * {@code ip xfrm state}; a quoted record: Wireshark's {@code esp_sa}), and the SAs of all of
 * them form one set. The same SA read twice (both hosts' dumps hold it) is kept once; two
 * different SAs for one SPI and destination cannot be told apart by a lookup, so they are an
 * error.
 */
public final class SaFiles {

    /** Larger files are refused: a dump of a host's SAs is small, and this bounds memory. */
    static final long MAX_FILE_BYTES = 16 << 20;

    private SaFiles() {
    }

    /** The SAs of {@code files}, in order; reserved-SPI and unprotected-SA warnings go to {@code warnings}. */
    public static List<ExternalSa> read(List<Path> files, List<String> warnings) {
        List<ExternalSa> all = new ArrayList<>();
        for (Path file : files) {
            all.addAll(read(file, warnings));
        }
        return distinct(all);
    }

    static List<ExternalSa> read(Path file, List<String> warnings) {
        String text;
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new SaFileException(file, 0, "cannot read SA file: larger than " + MAX_FILE_BYTES + " bytes");
            }
            text = Files.readString(file);
        } catch (CharacterCodingException e) {
            throw new SaFileException(file, 0, "cannot read SA file: not UTF-8 text");
        } catch (IOException | SecurityException e) {
            throw new SaFileException(file, 0, "cannot read SA file: " + (e instanceof java.nio.file.NoSuchFileException
                    ? "no such file" : e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                    : e.getMessage()));
        }
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            List<ExternalSa> sas;
            if (WiresharkEspSaFile.looksLike(line)) {
                sas = WiresharkEspSaFile.parse(file, text, warnings);
            } else if (IpXfrmStates.looksLike(line)) {
                sas = IpXfrmStates.parse(file, text, warnings);
            } else {
                throw new SaFileException(file, i + 1, "neither `ip xfrm state` output (each state starts 'src ADDRESS "
                        + "dst ADDRESS') nor a Wireshark esp_sa file (records of eight quoted fields)");
            }
            if (sas.isEmpty()) {
                throw new SaFileException(file, 0, "holds no ESP SA");
            }
            return sas;
        }
        throw new SaFileException(file, 0, "holds no SA (empty; `ip xfrm state` prints the SAs only to root)");
    }

    /** {@code sas} without repeats of one SA; an error for two that one lookup cannot tell apart. */
    static List<ExternalSa> distinct(List<ExternalSa> sas) {
        Map<Long, List<ExternalSa>> bySpi = new HashMap<>();
        List<ExternalSa> out = new ArrayList<>();
        next:
        for (ExternalSa sa : sas) {
            List<ExternalSa> same = bySpi.computeIfAbsent(sa.sa().spi(), k -> new ArrayList<>());
            for (ExternalSa earlier : same) {
                if (!earlier.overlaps(sa)) {
                    continue;
                }
                if (earlier.opensLike(sa.sa()) && earlier.destination().equals(sa.destination())) {
                    continue next;
                }
                throw new SaFileException(sa.origin(), "spi " + sa.sa().spiHex() + " to " + sa.destination().map(a -> a.getHostAddress()).orElse("*")
                                + " clashes with " + earlier.origin() + ", which has other keys for the same SPI "
                                + "and destination (a lookup could not tell them apart)");
            }
            same.add(sa);
            out.add(sa);
        }
        return out;
    }
}
