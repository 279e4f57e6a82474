package dev.overlay.pcap.keys;

import dev.overlay.config.SaConfig;
import dev.overlay.datapath.ExternalSa;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The SAs of an {@code ip xfrm state} (or {@code ip -s xfrm state}, or {@code ip -o ...}) dump,
 * read back as iproute2 prints them ({@code xfrm_state_info_print} in {@code ip/ipxfrm.c}):
 *
 * <pre>
 * src 192.0.2.2 dst 192.0.2.1
 *         proto esp spi 0x0000007b reqid 1 mode tunnel          (-s: spi 0x0000007b(123) reqid 1(0x00000001))
 *         replay-window 32 flag esn                             (-s: seq 0x00000000 flag esn (0x10000000))
 *         auth-trunc hmac(sha256) 0x5a5a...5a 128               (-s: 0x5a5a...5a (256 bits) 128)
 *         enc ecb(cipher_null)
 *         aead rfc4106(gcm(aes)) 0x...key then salt... 128      (ICV bits last)
 *         encap type espinudp sport 4500 dport 4500 addr 0.0.0.0
 *         anti-replay esn context:                              (ESN, or a window over 32:
 *          seq-hi 0x0, seq 0x0, oseq-hi 0x0, oseq 0x0            the window is here and the
 *          replay_window 128, bitmap-length 4                    first line says 0)
 *          00000000 00000000 00000000 00000000
 *         sel src 0.0.0.0/0 dst 0.0.0.0/0
 *         lifetime config: / lifetime current: / stats: ...     (-s)
 * </pre>
 *
 * A state starts at its {@code src ... dst ...} line; indentation is not relied on (pasted dumps
 * lose it). States of other protocols (AH, IPComp) are skipped; for ESP, the lines opening needs
 * (proto, replay-window and flags, the algorithms, encap, the ESN window and how far its
 * numbers had got) are read and checked,
 * and every other line (selectors, lifetimes, statistics, replay state, marks, offload, if_id,
 * dir, lastused) is skipped. The algorithm lines are resolved by {@link XfrmAlgorithms}.
 */
public final class IpXfrmStates {

    /** A state being read. */
    private static final class State {
        int line;
        InetAddress src;
        InetAddress dst;
        String proto;
        long spi = -1;
        SaConfig.Mode mode;
        long window;
        long esnWindow = -1;
        boolean esn;
        XfrmAlgorithms.Line aead;
        XfrmAlgorithms.Line enc;
        XfrmAlgorithms.Line auth;
        int espInUdpPort;
        /** The ESN replay state's larger number (in: seq-hi:seq, out: oseq-hi:oseq); empty when not printed. */
        OptionalLong esnReference = OptionalLong.empty();
    }

    private final Path file;
    private final List<String> warnings;
    private final List<ExternalSa> out = new ArrayList<>();
    private State state;

    private IpXfrmStates(Path file, List<String> warnings) {
        this.file = file;
        this.warnings = warnings;
    }

    /** True when {@code line}, the first that is not blank, starts a state as iproute2 prints one. */
    static boolean looksLike(String line) {
        List<String> t = tokens(line);
        return !t.isEmpty() && (t.get(0).equals("src") || isEventWord(t.get(0)) && t.size() > 1 && t.get(1).equals("src"));
    }

    /** The ESP SAs of {@code text}, read from {@code file}; reserved-SPI warnings go to {@code warnings}. */
    public static List<ExternalSa> parse(Path file, String text, List<String> warnings) {
        IpXfrmStates p = new IpXfrmStates(file, warnings);
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            // ip -o prints each state on one line, its lines joined by a backslash.
            for (String part : lines[i].split("\\\\")) {
                p.line(i + 1, part);
            }
        }
        p.finish();
        return p.out;
    }

    private void line(int number, String text) {
        List<String> t = tokens(text);
        if (t.isEmpty() || t.get(0).startsWith("#")) {
            return;
        }
        if (isEventWord(t.get(0)) && t.size() > 1 && t.get(1).equals("src")) {
            t = t.subList(1, t.size()); // ip xfrm monitor: "Updated src ..."
        }
        if (t.get(0).equals("src")) {
            finish();
            header(number, t);
            return;
        }
        if (state == null) {
            throw new SaFileException(file, number, "not `ip xfrm state` output: a state starts with "
                    + "'src ADDRESS dst ADDRESS', found '" + KeyText.shown(text.strip()) + "'");
        }
        if (state.proto != null && !state.proto.equals("esp")) {
            return; // an AH, IPComp or Mobile IPv6 state: nothing of it opens ESP
        }
        switch (t.get(0)) {
            case "proto" -> proto(number, t);
            case "replay-window" -> replayWindow(number, t);
            case "flag" -> flags(t, 0);
            case "replay_window" -> state.esnWindow = XfrmFields.unsigned(file, number, t, 1, "replay_window");
            case "seq-hi" -> esnContext(number, t);
            case "aead", "enc", "auth", "auth-trunc" -> algorithm(number, t);
            case "comp" -> throw new SaFileException(file, number, "comp (IPComp) in an ESP state is not supported");
            case "encap" -> encap(number, t);
            default -> {
                // Selectors, lifetimes, statistics, replay state, marks, offload, if_id, dir,
                // lastused, security context: nothing that opens a packet.
            }
        }
    }

    private void header(int number, List<String> t) {
        if (t.size() != 4 || !t.get(2).equals("dst")) {
            throw new SaFileException(file, number, "malformed state line: expected 'src ADDRESS dst ADDRESS'");
        }
        state = new State();
        state.line = number;
        state.src = address(number, t.get(1), "src");
        state.dst = address(number, t.get(3), "dst");
    }

    private InetAddress address(int number, String text, String what) {
        InetAddress a = KeyText.address(text);
        if (a == null) {
            throw new SaFileException(file, number, what + " " + KeyText.shown(text) + " is not an IPv4 or IPv6 address"
                    + (text.contains("/") ? " (a prefix: is this `ip xfrm policy` output? --sa-file reads `ip xfrm state`)"
                    : ""));
        }
        return a;
    }

    private void proto(int number, List<String> t) {
        state.proto = XfrmFields.value(file, number, t, "proto");
        if (!state.proto.equals("esp")) {
            return;
        }
        String spi = XfrmFields.value(file, number, t, "spi");
        int paren = spi.indexOf('(');
        String hex = paren < 0 ? spi : spi.substring(0, paren); // -s adds "(decimal)"
        byte[] bytes = KeyText.hexKey(hex);
        if (bytes == null || bytes.length == 0 || bytes.length > 4) {
            throw new SaFileException(file, number, "spi " + KeyText.shown(spi) + " is not a 32-bit hex number");
        }
        state.spi = Long.parseLong(hex.substring(2), 16);
        if (state.spi == 0) {
            throw new SaFileException(file, number, "spi 0x00000000 is reserved: " + SaConfig.SPI_ZERO_REASON);
        }
        String mode = XfrmFields.value(file, number, t, "mode");
        state.mode = switch (mode) {
            case "transport" -> SaConfig.Mode.TRANSPORT;
            case "tunnel" -> SaConfig.Mode.TUNNEL;
            default -> throw new SaFileException(file, number, "mode " + KeyText.shown(mode) + " is not supported (transport and "
                    + "tunnel are)");
        };
    }

    private void replayWindow(int number, List<String> t) {
        if (t.contains("failed")) {
            return; // -s statistics: "replay-window N replay N failed N"
        }
        state.window = XfrmFields.unsigned(file, number, t, 1, "replay-window");
        flags(t, 2);
    }

    /** {@code flag noecn esn ...}, possibly after {@code seq 0x...}; only esn matters here. */
    private void flags(List<String> t, int from) {
        int at = t.indexOf("flag");
        if (at >= from) {
            for (int i = at + 1; i < t.size() && !t.get(i).startsWith("(") && !t.get(i).equals("extra_flag"); i++) {
                if (t.get(i).equals("esn")) {
                    state.esn = true;
                }
            }
        }
    }

    /**
     * {@code seq-hi 0x%x, seq 0x%x, oseq-hi 0x%x, oseq 0x%x} of the ESN replay state: how far the
     * SA had got when the dump was taken (inbound, the highest number received; outbound, the last
     * sent). The larger is where the first packets' high halves are tried (EsnResync).
     */
    private void esnContext(int number, List<String> t) {
        long in = (XfrmFields.hex32(file, number, t, "seq-hi") << 32) | XfrmFields.hex32(file, number, t, "seq");
        // Pasted dumps are seen cut after the inbound pair; what is missing is no number.
        long out = !t.contains("oseq-hi") ? 0
                : (XfrmFields.hex32(file, number, t, "oseq-hi") << 32) | XfrmFields.hex32(file, number, t, "oseq");
        state.esnReference = OptionalLong.of(Long.compareUnsigned(in, out) >= 0 ? in : out);
    }

    private void algorithm(int number, List<String> t) {
        String kind = t.get(0);
        if (t.size() < 2) {
            throw new SaFileException(file, number, "malformed " + kind + " line: no algorithm name");
        }
        int i = 2;
        byte[] key = new byte[0];
        if (i < t.size() && t.get(i).startsWith("<<Keys")) {
            throw new SaFileException(file, number, "the keys are hidden (the dump was made with 'nokeys', or the "
                    + "kernel redacts them): run 'ip xfrm state' without it, as root");
        }
        if (i < t.size() && (t.get(i).startsWith("0x") || t.get(i).startsWith("0X"))) {
            key = KeyText.hexKey(t.get(i));
            if (key == null) {
                throw new SaFileException(file, number, "the key of " + kind + " " + KeyText.shown(t.get(1)) + " is not hex: "
                        + t.get(i).length() + " characters after 0x, not all hex digits");
            }
            i++;
        } else if (i < t.size() && t.get(i).equals("\"\"")) {
            i++; // the empty key as 'ip xfrm state add' takes it
        }
        if (i + 1 < t.size() && t.get(i).startsWith("(") && t.get(i + 1).equals("bits)")) {
            i += 2; // -s: "(256 bits)"
        }
        int bits = -1;
        if (kind.equals("aead") || kind.equals("auth-trunc")) {
            bits = (int) XfrmFields.unsigned(file, number, t, i, kind + " " + t.get(1) + " (its ICV length in bits, last)");
            i++;
        }
        if (i != t.size()) {
            throw new SaFileException(file, number, "malformed " + kind + " line: unexpected '" + KeyText.shown(t.get(i)) + "'");
        }
        XfrmAlgorithms.Line a = new XfrmAlgorithms.Line(number, kind, t.get(1), key, bits);
        switch (kind) {
            case "aead" -> state.aead = a;
            case "enc" -> state.enc = a;
            default -> {
                // The kernel dumps both; iproute2 prints auth-trunc when it has it, and so wins here.
                if (state.auth == null || kind.equals("auth-trunc")) {
                    state.auth = a;
                }
            }
        }
    }

    private void encap(int number, List<String> t) {
        String type = XfrmFields.value(file, number, t, "type");
        switch (type) {
            case "espinudp" -> state.espInUdpPort = (int) Math.min(XfrmFields.unsigned(file, number, t, t.indexOf("dport") + 1, "dport"), 65535);
            case "espinudp-nonike" -> throw new SaFileException(file, number, "encap espinudp-nonike (the 8-byte "
                    + "non-IKE marker of draft-ietf-ipsec-udp-encaps-00) is not supported; espinudp (RFC 3948) is");
            case "espintcp" -> throw new SaFileException(file, number, "encap espintcp (ESP in TCP, RFC 8229) is "
                    + "not supported; espinudp (RFC 3948) is");
            default -> throw new SaFileException(file, number, "encap type " + KeyText.shown(type) + " is not supported; "
                    + "espinudp (RFC 3948) is");
        }
    }

    /** The state read so far, if any, as an SA. */
    private void finish() {
        State s = state;
        state = null;
        if (s == null || s.proto == null || !s.proto.equals("esp")) {
            if (s != null && s.proto == null) {
                throw new SaFileException(file, s.line, "state without a 'proto esp spi ... mode ...' line");
            }
            return; // AH, IPComp, Mobile IPv6: nothing ESP opens
        }
        Transforms.Keys keys = XfrmAlgorithms.keys(file, s.line, s.aead, s.enc, s.auth, warnings);
        long window = s.esnWindow >= 0 ? s.esnWindow : s.window;
        out.add(Transforms.sa(file, s.line, s.spi, keys, Optional.of(s.src), Optional.of(s.dst), Optional.of(s.mode),
                s.esn, window, s.espInUdpPort, s.esnReference, warnings));
    }

    private static boolean isEventWord(String word) {
        return word.equals("Updated") || word.equals("Expired") || word.equals("Deleted");
    }

    private static List<String> tokens(String line) {
        String s = line.strip();
        return s.isEmpty() ? List.of() : List.of(s.split("\\s+"));
    }
}
