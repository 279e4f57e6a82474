package dev.overlay.pcap.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.overlay.datapath.ExternalSa;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Coverage-guided fuzzing (Jazzer) of the {@code --sa-file} readers on arbitrary text: the
 * {@code ip xfrm state} reader and the Wireshark {@code esp_sa} reader, each given every input,
 * with a dictionary of both formats' words ({@code sa-files.dict}). Files under
 * {@code SaFileFuzzTestInputs/} replay in every test run; {@code JAZZER_FUZZ=1} fuzzes
 * (FUZZING.md).
 *
 * <p>Invariants: SAs, or one {@link SaFileException} whose message is one line naming the file
 * and, when there is one, a line of it; never another exception, never a hang; no SA has SPI 0.
 */
class SaFileFuzzTest {
    private static final boolean FUZZING = System.getenv("JAZZER_FUZZ") != null;
    private static final Path FILE = Path.of("sa.txt");
    private static final Pattern LOCATED = Pattern.compile("sa\\.txt(?::(\\d+))?: .+");

    @FuzzTest(maxDuration = "20s")
    @DictionaryFile(resourcePath = "sa-files.dict")
    void parseArbitraryText(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        if (FUZZING) {
            check(text); // libFuzzer's -timeout watches for hangs
        } else {
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> check(text));
        }
    }

    private static void check(String text) {
        int lines = text.split("\r?\n", -1).length;
        for (int format = 0; format < 2; format++) {
            List<String> warnings = new ArrayList<>();
            try {
                List<ExternalSa> sas = format == 0 ? IpXfrmStates.parse(FILE, text, warnings)
                        : WiresharkEspSaFile.parse(FILE, text, warnings);
                for (ExternalSa sa : sas) {
                    assertTrue(sa.sa().spi() != 0, sa::toString);
                }
            } catch (SaFileException e) {
                String message = e.getMessage();
                assertEquals(1, message.lines().count(), message);
                Matcher m = LOCATED.matcher(message);
                assertTrue(m.matches(), message);
                if (m.group(1) != null) {
                    int line = Integer.parseInt(m.group(1));
                    assertTrue(line >= 1 && line <= lines, () -> message + " (of " + lines + " lines)");
                }
            }
            for (String w : warnings) {
                assertTrue(w.startsWith("sa.txt:") && w.lines().count() == 1, w);
            }
        }
    }
}
