package dev.overlay.pcap.keys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.config.SaConfig;
import dev.overlay.datapath.ExternalSa;
import dev.overlay.esp.EspAlgorithm;
import dev.overlay.esp.IntegrityAlgorithm;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * {@code ip xfrm state} dumps as iproute2 prints them ({@code ip/ipxfrm.c}): plain, {@code -s},
 * {@code -o}, as pasted with spaces for tabs, with the lines newer kernels add, and the lines a
 * reader must refuse, each with its file and line.
 */
class IpXfrmStatesTest {
    private static final Path FILE = Path.of("states.txt");
    private static final HexFormat HEX = HexFormat.of();
    static final String GCM_KEY = "6ad2a89ad3ff0c5cd3389ba419ce04e7b3a37621bd5f90e58635a63adcb63e1a605987c2";
    static final String CBC_KEY = "2818a489fe84929c8ab72907e9ce2f0eac6f16f2258bd22240f4087e0326badb";
    static final String HMAC_KEY = "cba08c655b22df167c9bf16ac8005cffbe15e6baab553b8f48ec0056c037c51f";

    /**
     * strongSwan's kind of host: an ESN AES-GCM tunnel behind NAT (the window in the ESN replay
     * state, the first line's 0), a CBC+HMAC transport SA, an AH SA and an IPComp SA to skip.
     */
    static final String DUMP = """
            src 198.51.100.7 dst 192.0.2.1
            \tproto esp spi 0xb9e564dc reqid 16389 mode tunnel
            \treplay-window 0 flag af-unspec esn
            \taead rfc4106(gcm(aes)) 0x%s 128
            \tencap type espinudp sport 4500 dport 4500 addr 0.0.0.0
            \tlastused 2025-06-01 12:00:05
            \tanti-replay esn context:
            \t seq-hi 0x0, seq 0x1d, oseq-hi 0x0, oseq 0x0
            \t replay_window 128, bitmap-length 4
            \t 00000000 00000000 00000000 1fffffff\s
            \tsel src 0.0.0.0/0 dst 0.0.0.0/0\s
            src 192.0.2.1 dst 192.0.2.2
            \tproto esp spi 0x00001001 reqid 2 mode transport
            \treplay-window 32\s
            \tauth-trunc hmac(sha256) 0x%s 128
            \tenc cbc(aes) 0x%s
            \tanti-replay context: seq 0x0, oseq 0x5, bitmap 0x00000000
            \tsel src 0.0.0.0/0 dst 0.0.0.0/0\s
            src 192.0.2.1 dst 192.0.2.2
            \tproto ah spi 0x00002002 reqid 3 mode transport
            \treplay-window 32\s
            \tauth-trunc hmac(sha1) 0x00112233445566778899aabbccddeeff00112233 96
            \tanti-replay context: seq 0x0, oseq 0x0, bitmap 0x00000000
            src 192.0.2.1 dst 192.0.2.2
            \tproto comp spi 0x00004711 reqid 4 mode tunnel
            \treplay-window 0\s
            \tcomp deflate\s
            \tanti-replay context: seq 0x0, oseq 0x0, bitmap 0x00000000
            """.formatted(GCM_KEY, HMAC_KEY, CBC_KEY);

    private static List<ExternalSa> parse(String text, List<String> warnings) {
        return IpXfrmStates.parse(FILE, text, warnings);
    }

    private static List<ExternalSa> parse(String text) {
        return parse(text, new ArrayList<>());
    }

    @Test
    void espStatesAreReadAndOtherProtocolsSkipped() throws Exception {
        List<ExternalSa> sas = parse(DUMP);
        assertEquals(2, sas.size());
        ExternalSa gcm = sas.get(0);
        SaConfig a = gcm.sa();
        assertEquals(0xb9e564dcL, a.spi());
        assertEquals(EspAlgorithm.AES_GCM_256, a.algorithm());
        assertEquals(16, a.icvLength());
        assertArrayEquals(HEX.parseHex(GCM_KEY), a.key());
        assertEquals(Optional.of(SaConfig.Mode.TUNNEL), gcm.mode());
        assertEquals(SaConfig.Direction.IN, a.direction());
        assertTrue(a.esn());
        assertEquals(128, a.replayWindow(), "the ESN replay state's window, not the first line's 0");
        assertEquals(0, a.initialSequence(), "a capture is read from the start, whatever the SA has seen since");
        assertEquals(4500, gcm.espInUdpPort());
        assertEquals(Optional.of(InetAddress.ofLiteral("192.0.2.1")), gcm.destination());
        assertEquals(Optional.of(InetAddress.ofLiteral("198.51.100.7")), gcm.source());
        assertEquals("198.51.100.7", a.peer());
        assertEquals("states.txt:1", gcm.origin());

        ExternalSa cbc = sas.get(1);
        SaConfig b = cbc.sa();
        assertEquals(0x1001, b.spi());
        assertEquals(EspAlgorithm.AES_CBC_256, b.algorithm());
        assertEquals(IntegrityAlgorithm.HMAC_SHA256_128, b.integrity());
        assertArrayEquals(HEX.parseHex(HMAC_KEY), b.integrityKey());
        assertArrayEquals(HEX.parseHex(CBC_KEY), b.key());
        assertEquals(Optional.of(SaConfig.Mode.TRANSPORT), cbc.mode());
        assertEquals(32, b.replayWindow());
        assertEquals(0, cbc.espInUdpPort());
        assertEquals("states.txt:12", cbc.origin());
    }

    @Test
    void pastedWithSpacesForTabsAndWithoutIndentationReadsTheSame() {
        List<ExternalSa> tabs = parse(DUMP);
        List<ExternalSa> spaces = parse(DUMP.replace("\t", "        "));
        List<ExternalSa> flush = parse(DUMP.replace("\t", ""));
        for (List<ExternalSa> other : List.of(spaces, flush)) {
            assertEquals(tabs.size(), other.size());
            for (int i = 0; i < tabs.size(); i++) {
                assertEquals(tabs.get(i), other.get(i));
            }
        }
    }

    @Test
    void statisticsOutputOfIpSIsReadTheSame() {
        String stats = """
                src 192.0.2.2 dst 192.0.2.1
                \tproto esp spi 0x0000007b(123) reqid 1(0x00000001) mode transport
                \treplay-window 32 seq 0x00000000 flag  (0x00000000)
                \tauth-trunc hmac(sha256) 0x%s (256 bits) 128
                \tenc ecb(cipher_null)\s
                \tanti-replay context: seq 0x0, oseq 0x0, bitmap 0x00000000
                \tsel src 0.0.0.0/0 dst 0.0.0.0/0 uid 0
                \tlifetime config:
                \t  limit: soft (INF)(bytes), hard (INF)(bytes)
                \t  limit: soft (INF)(packets), hard (INF)(packets)
                \t  expire add: soft 0(sec), hard 0(sec)
                \t  expire use: soft 0(sec), hard 0(sec)
                \tlifetime current:
                \t  84(bytes), 1(packets)
                \t  add 2025-06-01 12:00:00 use 2025-06-01 12:00:01
                \tstats:
                \t  replay-window 0 replay 0 failed 0
                src 192.0.2.1 dst 192.0.2.2
                \tproto esp spi 0x00000034(52) reqid 2(0x00000002) mode tunnel
                \treplay-window 0 seq 0x00000000 flag af-unspec esn (0x10100000)
                \taead rfc4309(ccm(aes)) 0x000102030405060708090a0b0c0d0e0f101112 (152 bits) 96
                \tanti-replay esn context:
                \t seq-hi 0x0, seq 0x0, oseq-hi 0x0, oseq 0x0
                \t replay_window 64, bitmap-length 2
                \t 00000000 00000000\s
                \tsel src 0.0.0.0/0 dst 0.0.0.0/0 uid 0
                \tlifetime config:
                \t  limit: soft (INF)(bytes), hard (INF)(bytes)
                \t  limit: soft (INF)(packets), hard (INF)(packets)
                \t  expire add: soft 0(sec), hard 0(sec)
                \t  expire use: soft 0(sec), hard 0(sec)
                \tlifetime current:
                \t  0(bytes), 0(packets)
                \t  add 2025-06-01 12:00:00 use -
                \tstats:
                \t  replay-window 0 replay 0 failed 0
                """.formatted(HMAC_KEY);
        List<String> warnings = new ArrayList<>();
        List<ExternalSa> sas = parse(stats, warnings);
        assertEquals(2, sas.size());
        assertEquals(123, sas.get(0).sa().spi());
        assertEquals(EspAlgorithm.NULL, sas.get(0).sa().algorithm());
        assertEquals(IntegrityAlgorithm.HMAC_SHA256_128, sas.get(0).sa().integrity());
        assertEquals(32, sas.get(0).sa().replayWindow(), "the statistics' replay-window 0 is not the SA's");
        assertEquals(52, sas.get(1).sa().spi());
        assertEquals(EspAlgorithm.AES_CCM_128, sas.get(1).sa().algorithm());
        assertEquals(12, sas.get(1).sa().icvLength());
        assertTrue(sas.get(1).sa().esn());
        assertEquals(64, sas.get(1).sa().replayWindow());
        assertEquals(List.of(
                "states.txt:1: warning: spi 123 (0x7b) is in 1..255, reserved for IANA (RFC 4303 section 2.1); accepted,"
                        + " since peers use such SPIs, but choose 256 (0x100) or more for SAs you make",
                "states.txt:18: warning: spi 52 (0x34) is in 1..255, reserved for IANA (RFC 4303 section 2.1); accepted,"
                        + " since peers use such SPIs, but choose 256 (0x100) or more for SAs you make"), warnings);
    }

    @Test
    void oneLineOutputOfIpOIsReadTheSame() {
        // ip -o joins a state's lines with a backslash (iproute2's _SL_) and ends it with a newline.
        String oneLine = DUMP.lines().map(l -> l.startsWith("src") ? "\n" + l : "\\" + l).reduce("", String::concat)
                .strip() + "\\\n";
        assertEquals(4, oneLine.lines().count(), oneLine);
        List<ExternalSa> lines = parse(DUMP);
        List<ExternalSa> one = parse(oneLine);
        assertEquals(lines.stream().map(ExternalSa::sa).toList(), one.stream().map(ExternalSa::sa).toList());
        assertEquals(List.of("states.txt:1", "states.txt:2"), one.stream().map(ExternalSa::origin).toList(),
                "one state per line");
    }

    @Test
    void linesOfNewerKernelsAndOfMonitorAreSkipped() {
        String text = """
                Updated src 192.0.2.2 dst 192.0.2.1
                \tproto esp spi 0x12345678 reqid 1 mode tunnel
                \treplay-window 0 flag af-unspec esn
                \tmark 0x64/0xffffffff output-mark 0x64/0xffffff
                \taead rfc7539esp(chacha20,poly1305) 0x%s 128
                \tlastused 2025-06-01 12:00:05
                \tanti-replay esn context:
                \t seq-hi 0x0, seq 0xa
                \t replay_window 256, bitmap-length 8
                \t 00000000 00000000 00000000 00000000 00000000 00000000 00000000 000003ff\s
                \tcrypto offload parameters: dev eth2 dir in mode crypto
                \tif_id 0x64
                \ttfcpad 0
                \tdir in
                \tpcpu-num 1
                \tsecurity context system_u:object_r:ipsec_spd_t:s0\s
                \tsel src 10.0.0.0/24 dst 10.0.1.0/24 proto udp dport 4789\s
                """.formatted(GCM_KEY);
        List<ExternalSa> sas = parse(text);
        assertEquals(1, sas.size());
        assertEquals(EspAlgorithm.CHACHA20_POLY1305, sas.get(0).sa().algorithm());
        assertEquals(256, sas.get(0).sa().replayWindow());
    }

    @Test
    void gmacCcmAndShaTwoVariantsMapOntoTheirTransforms() {
        String text = """
                src 2001:db8::2 dst 2001:db8::1
                \tproto esp spi 0x00000101 reqid 1 mode transport
                \treplay-window 32\s
                \taead rfc4543(gcm(aes)) 0x%s 128
                src 2001:db8::2 dst 2001:db8::1
                \tproto esp spi 0x00000102 reqid 1 mode transport
                \treplay-window 32\s
                \tauth hmac(sha512) 0x%s
                \tenc aes 0x%s
                src 2001:db8::2 dst 2001:db8::1
                \tproto esp spi 0x00000103 reqid 1 mode transport
                \treplay-window 32\s
                \tauth-trunc hmac(sha384) 0x%s 192
                \tenc cbc(aes) 0x%s
                src 2001:db8::2 dst 2001:db8::1
                \tproto esp spi 0x00000104 reqid 1 mode transport
                \treplay-window 32\s
                \tenc ecb(cipher_null) ""
                """.formatted(GCM_KEY, "11".repeat(64), CBC_KEY.substring(0, 32), "22".repeat(48), CBC_KEY);
        List<String> warnings = new ArrayList<>();
        List<ExternalSa> sas = parse(text, warnings);
        assertEquals(EspAlgorithm.AES_GMAC_256, sas.get(0).sa().algorithm());
        assertEquals(EspAlgorithm.AES_CBC_128, sas.get(1).sa().algorithm());
        assertEquals(IntegrityAlgorithm.HMAC_SHA512_256, sas.get(1).sa().integrity(), "auth: the kernel's 256-bit default");
        assertEquals(IntegrityAlgorithm.HMAC_SHA384_192, sas.get(2).sa().integrity());
        assertEquals(EspAlgorithm.NULL, sas.get(3).sa().algorithm());
        assertEquals(Optional.of(InetAddress.ofLiteral("2001:db8::1")), sas.get(3).destination());
        assertTrue(warnings.get(0).startsWith("states.txt:15: warning: null encryption without integrity"), warnings::toString);
    }

    /** Each refusal: one sentence naming the file and the line. */
    @Test
    void whatCannotBeUsedIsOneSentenceWithFileAndLine() {
        String head = "src 192.0.2.2 dst 192.0.2.1\n\tproto esp spi 0x00001001 reqid 1 mode tunnel\n\treplay-window 32 \n";
        refused(head + "\tenc cbc(cast5) 0x" + "11".repeat(16) + "\n\tauth-trunc hmac(sha256) 0x" + HMAC_KEY + " 128\n",
                "states.txt:4: enc cbc(cast5) is not supported: overlay opens aead rfc4106(gcm(aes))");
        refused(head + "\tauth-trunc xcbc(aes) 0x" + "11".repeat(16) + " 96\n\tenc ecb(cipher_null) \n",
                "states.txt:4: auth-trunc xcbc(aes) is not supported");
        refused(head + "\tauth-trunc hmac(sha256) 0x" + HMAC_KEY + " 64\n\tenc cbc(aes) 0x" + CBC_KEY + "\n",
                "states.txt:4: auth-trunc hmac(sha256) truncated to 64 bits is not supported (128 (RFC 4868) and 96 are)");
        refused(head + "\tauth-trunc hmac(sha1) 0x" + HMAC_KEY + " 128\n\tenc cbc(aes) 0x" + CBC_KEY + "\n",
                "states.txt:4: auth-trunc hmac(sha1) truncated to 128 bits is not supported (96 is)");
        refused(head + "\tauth-trunc hmac(sha256) \"\" 128\n\tenc cbc(aes) 0x" + CBC_KEY + "\n",
                "states.txt:4: the key of auth-trunc hmac(sha256) is empty");
        refused(head + "\taead rfc4106(gcm(aes)) 0x" + "11".repeat(30) + " 128\n",
                "states.txt:4: the key of aead rfc4106(gcm(aes)) has 30 bytes (240 bits); expected 20, 28 or 36 (a 128-, "
                        + "192- or 256-bit AES key and a 4-byte salt)");
        refused(head + "\tenc cbc(des3_ede) 0x" + "11".repeat(16) + "\n",
                "states.txt:4: the key of enc cbc(des3_ede) has 16 bytes (128 bits); expected 24 (three DES keys)");
        refused(head + "\taead rfc7539esp(chacha20,poly1305) 0x" + GCM_KEY + " 64\n",
                "states.txt:4: aead rfc7539esp(chacha20,poly1305) with a 64-bit ICV is not supported ([128] are)");
        refused(head + "\taead rfc4106(gcm(aes)) 0xnothex 128\n", "states.txt:4: the key of aead rfc4106(gcm(aes)) is not hex");
        refused(head + "\taead rfc4106(gcm(aes)) <<Keys hidden>> 128\n", "states.txt:4: the keys are hidden");
        refused(head + "\taead rfc4106(gcm(aes)) 0x" + GCM_KEY + "\n", "states.txt:4: malformed line: aead rfc4106(gcm(aes)) "
                + "(its ICV length in bits, last) needs an unsigned number");
        refused(head, "states.txt:1: ESP state without an enc or aead line");
        refused("src 192.0.2.2 dst 192.0.2.1\n\tproto esp spi 0x00000000 reqid 1 mode tunnel\n",
                "states.txt:2: spi 0x00000000 is reserved: RFC 4303 section 2.1 keeps it for local");
        refused("src 192.0.2.2 dst 192.0.2.1\n\tproto esp spi 0x00001001 reqid 1 mode beet\n",
                "states.txt:2: mode beet is not supported (transport and tunnel are)");
        refused("src 192.0.2.2 dst 192.0.2.1\n\treplay-window 32 \n", "states.txt:1: state without a 'proto esp spi");
        refused("src 10.0.0.0/24 dst 10.0.1.0/24\n\tdir out priority 1 ptype main\n",
                "states.txt:1: src 10.0.0.0/24 is not an IPv4 or IPv6 address (a prefix: is this `ip xfrm policy` output?");
        refused("src gw-b dst 192.0.2.1\n", "states.txt:1: src gw-b is not an IPv4 or IPv6 address");
        refused(head + "\taead rfc4106(gcm(aes)) 0x" + GCM_KEY + " 128\n\tencap type espintcp sport 4500 dport 4500 "
                + "addr 0.0.0.0\n", "states.txt:5: encap espintcp (ESP in TCP, RFC 8229) is not supported");
        refused("# a comment\nproto esp spi 0x1 reqid 1 mode tunnel\n", "states.txt:2: not `ip xfrm state` output");
        refused(head + "\taead rfc4106(gcm(aes)) 0x" + GCM_KEY + " 128\n\tenc cbc(aes) 0x" + CBC_KEY + "\n",
                "states.txt:5: enc beside aead: an ESP state has one or the other");
    }

    private static void refused(String text, String message) {
        SaFileException e = assertThrows(SaFileException.class, () -> parse(text), text);
        assertTrue(e.getMessage().startsWith(message), () -> "expected: " + message + "\nbut was:  " + e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }
}
