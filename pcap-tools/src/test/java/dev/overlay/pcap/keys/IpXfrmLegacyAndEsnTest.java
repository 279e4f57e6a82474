package dev.overlay.pcap.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.datapath.ExternalSa;
import dev.overlay.esp.EspAlgorithm;
import dev.overlay.esp.IntegrityAlgorithm;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * {@code ip xfrm state} dumps beyond the contract's transforms: what Linux accepts and overlay
 * opens with a warning (the transforms it only reads, {@code auth hmac(sha256)}'s 96 bits, HMAC
 * keys of any length, a cipher alone), and the ESN replay state's numbers.
 */
class IpXfrmLegacyAndEsnTest {
    private static final Path FILE = Path.of("states.txt");
    private static final String GCM_KEY = IpXfrmStatesTest.GCM_KEY;
    private static final String CBC_KEY = IpXfrmStatesTest.CBC_KEY;
    private static final String HMAC_KEY = IpXfrmStatesTest.HMAC_KEY;

    private static List<ExternalSa> parse(String text) {
        return IpXfrmStates.parse(FILE, text, new ArrayList<>());
    }

    private static void refused(String text, String message) {
        SaFileException e = assertThrows(SaFileException.class, () -> parse(text), text);
        assertTrue(e.getMessage().startsWith(message), () -> "expected: " + message + "\nbut was:  " + e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    /**
     * Liberal in what we read: the transforms Linux has that we only open, under canonical and
     * compatibility names; {@code auth hmac(sha256)} (and the {@code auth-trunc ... 96} a dump of
     * it prints) as the 96-bit truncation Linux gives it; HMAC keys of any length; a cipher
     * without integrity. Each with its warning, naming the file and line.
     */
    @Test
    void whatLinuxAcceptsBeyondRfc4868IsReadWithAWarning() {
        String head = "src 192.0.2.2 dst 192.0.2.1\n\tproto esp spi 0x%08x reqid 1 mode tunnel\n\treplay-window 32 \n";
        String text = String.join("",
                head.formatted(0x101) + "\tauth hmac(sha256) 0x" + HMAC_KEY + "\n\tenc cbc(aes) 0x" + "11".repeat(24) + "\n",
                head.formatted(0x102) + "\tauth-trunc hmac(sha256) 0x" + HMAC_KEY + " 96\n\tenc rfc3686(ctr(aes)) 0x"
                        + "22".repeat(20) + "\n",
                head.formatted(0x103) + "\tauth-trunc hmac(sha1) 0x" + "33".repeat(20) + " 96\n\tenc cbc(des3_ede) 0x"
                        + "44".repeat(24) + "\n",
                head.formatted(0x104) + "\tauth md5 0x" + "55".repeat(16) + "\n\tenc des 0x" + "66".repeat(8) + "\n",
                head.formatted(0x105) + "\tauth-trunc hmac(sha256) 0x" + "77".repeat(20) + " 128\n\tenc ctr(aes) 0x"
                        + "88".repeat(28) + "\n",
                head.formatted(0x106) + "\taead rfc4309(ccm(aes)) 0x" + "99".repeat(27) + " 64\n",
                head.formatted(0x107) + "\tenc cbc(aes) 0x" + CBC_KEY + "\n");
        List<String> warnings = new ArrayList<>();
        List<ExternalSa> sas = IpXfrmStates.parse(FILE, text, warnings);
        assertEquals(List.of(EspAlgorithm.AES_CBC_192, EspAlgorithm.AES_CTR_128, EspAlgorithm.TRIPLE_DES_CBC,
                EspAlgorithm.DES_CBC, EspAlgorithm.AES_CTR_192, EspAlgorithm.AES_CCM_192, EspAlgorithm.AES_CBC_256),
                sas.stream().map(sa -> sa.sa().algorithm()).toList());
        assertEquals(java.util.Arrays.asList(IntegrityAlgorithm.HMAC_SHA256_96, IntegrityAlgorithm.HMAC_SHA256_96,
                IntegrityAlgorithm.HMAC_SHA1_96, IntegrityAlgorithm.HMAC_MD5_96, IntegrityAlgorithm.HMAC_SHA256_128, null,
                null), sas.stream().map(sa -> sa.sa().integrity()).toList());
        assertEquals(List.of(12, 12, 12, 12, 16, 8, 0), sas.stream().map(sa -> sa.sa().icvLength()).toList());
        assertEquals(List.of(
                "states.txt:4: warning: auth hmac(sha256) without a truncation is truncated to 96 bits by Linux "
                        + "(draft-ietf-ipsec-ciph-sha-256-00, before RFC 4868's 128): opened as hmac-sha256-96, which only "
                        + "peers configured the same way use",
                "states.txt:9: warning: auth-trunc hmac(sha256) truncated to 96 bits (draft-ietf-ipsec-ciph-sha-256-00, "
                        + "before RFC 4868's 128): opened as hmac-sha256-96, which only peers configured the same way use",
                "states.txt:24: warning: the key of auth-trunc hmac(sha256) has 20 bytes where RFC 4868 section 2.1.1 "
                        + "gives 32: opened (HMAC takes a key of any length, as Linux and Wireshark do)",
                "states.txt:30: warning: aes-cbc-256 without integrity: anyone could have altered these packets "
                        + "undetected (RFC 4303 section 3.2)"), warnings);
    }

    /**
     * The ESN replay state's numbers (inbound: the highest received; outbound: the last sent) are
     * how far the SA had got when the dump was taken: the larger is kept, for ESN SAs only.
     */
    @Test
    void theEsnReplayStateSaysHowFarTheSaHadGot() {
        String esn = """
                src 192.0.2.2 dst 192.0.2.1
                \tproto esp spi 0x00000201 reqid 1 mode tunnel
                \treplay-window 0 flag esn
                \taead rfc4106(gcm(aes)) 0x%1$s 128
                \tanti-replay esn context:
                \t seq-hi 0x%2$s, seq 0x%3$s, oseq-hi 0x0, oseq 0x0
                \t replay_window 32, bitmap-length 1
                \t 0000ffff\s
                src 192.0.2.1 dst 192.0.2.2
                \tproto esp spi 0x00000202 reqid 1 mode tunnel
                \treplay-window 0 flag esn
                \taead rfc4106(gcm(aes)) 0x%1$s 128
                \tanti-replay esn context:
                \t seq-hi 0x0, seq 0x0, oseq-hi 0xffffffff, oseq 0xffffffff
                \t replay_window 32, bitmap-length 1
                \t 00000000\s
                src 192.0.2.1 dst 192.0.2.2
                \tproto esp spi 0x00000203 reqid 1 mode tunnel
                \treplay-window 128\s
                \taead rfc4106(gcm(aes)) 0x%1$s 128
                \tanti-replay esn context:
                \t seq-hi 0x0, seq 0x1d, oseq-hi 0x0, oseq 0x0
                \t replay_window 128, bitmap-length 4
                \t 00000000 00000000 00000000 1fffffff\s
                """;
        List<ExternalSa> sas = parse(esn.formatted(GCM_KEY, "87654321", "1d"));
        assertEquals(OptionalLong.of(0x876543210000001dL), sas.get(0).esnReference());
        assertEquals(OptionalLong.of(-1L), sas.get(1).esnReference(), "the last number sent, unsigned");
        assertEquals(OptionalLong.empty(), sas.get(2).esnReference(), "a window over 32 without esn: no ESN");
        assertEquals(OptionalLong.empty(), parse(IpXfrmStatesTest.DUMP).get(1).esnReference());
        refused(esn.formatted(GCM_KEY, "123456789", "0"), "states.txt:6: malformed line: seq-hi needs a 32-bit hex "
                + "number, found '0x123456789'");
        refused(esn.formatted(GCM_KEY, "0", "zz"), "states.txt:6: malformed line: seq needs a 32-bit hex number");
    }
}
