package dev.overlay.pcap.keys;

import dev.overlay.config.SaConfig;
import dev.overlay.datapath.ExternalSa;
import dev.overlay.esp.EspAlgorithm;
import dev.overlay.esp.IntegrityAlgorithm;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

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
 * (proto, replay-window and flags, the algorithms, encap, the ESN window) are read and checked,
 * and every other line (selectors, lifetimes, statistics, replay state, marks, offload, if_id,
 * dir, lastused) is skipped. The kernel stores and prints each algorithm under its canonical
 * name ({@code net/xfrm/xfrm_algo.c}); the compatibility names {@code ip xfrm state add} also
 * takes ({@code aes}, {@code sha256}, {@code cipher_null}) are read too.
 */
public final class IpXfrmStates {

    private static final String SUPPORTED = "overlay opens aead rfc4106(gcm(aes)), rfc4309(ccm(aes)), "
            + "rfc4543(gcm(aes)) and rfc7539esp(chacha20,poly1305) with 128- or 256-bit AES keys, enc cbc(aes) "
            + "(128 or 256 bits) and ecb(cipher_null), with auth-trunc hmac(sha256) 128, hmac(sha384) 192, "
            + "hmac(sha512) 256 or none";

    /** One algorithm line: {@code aead|enc|auth|auth-trunc NAME [KEY [(N bits)]] [BITS]}. */
    private record Algorithm(int line, String kind, String name, byte[] key, int bits) {
    }

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
        Algorithm aead;
        Algorithm enc;
        Algorithm auth;
        int espInUdpPort;
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
            case "replay_window" -> state.esnWindow = unsigned(number, t, 1, "replay_window");
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
        state.proto = value(number, t, "proto");
        if (!state.proto.equals("esp")) {
            return;
        }
        String spi = value(number, t, "spi");
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
        String mode = value(number, t, "mode");
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
        state.window = unsigned(number, t, 1, "replay-window");
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
            bits = (int) unsigned(number, t, i, kind + " " + t.get(1) + " (its ICV length in bits, last)");
            i++;
        }
        if (i != t.size()) {
            throw new SaFileException(file, number, "malformed " + kind + " line: unexpected '" + KeyText.shown(t.get(i)) + "'");
        }
        Algorithm a = new Algorithm(number, kind, t.get(1), key, bits);
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
        String type = value(number, t, "type");
        switch (type) {
            case "espinudp" -> state.espInUdpPort = (int) Math.min(unsigned(number, t, t.indexOf("dport") + 1, "dport"), 65535);
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
        Transforms.Keys keys = s.aead != null ? aead(s) : cipher(s);
        long window = s.esnWindow >= 0 ? s.esnWindow : s.window;
        out.add(Transforms.sa(file, s.line, s.spi, keys, Optional.of(s.src), Optional.of(s.dst), Optional.of(s.mode),
                s.esn, window, s.espInUdpPort, warnings));
    }

    private Transforms.Keys aead(State s) {
        Algorithm a = s.aead;
        if (s.enc != null || s.auth != null) {
            Algorithm other = s.enc != null ? s.enc : s.auth;
            throw new SaFileException(file, other.line(), other.kind() + " beside aead: an ESP state has one or the other");
        }
        int saltBytes = switch (a.name()) {
            case "rfc4106(gcm(aes))", "rfc4543(gcm(aes))", "rfc7539esp(chacha20,poly1305)" -> 4;
            case "rfc4309(ccm(aes))" -> 3;
            default -> throw new SaFileException(file, a.line(), "aead " + KeyText.shown(a.name()) + " is not supported: " + SUPPORTED);
        };
        int keyBytes = a.key().length - saltBytes;
        EspAlgorithm algorithm = switch (a.name()) {
            case "rfc4106(gcm(aes))" -> Transforms.aes(keyBytes, EspAlgorithm.AES_GCM_128, EspAlgorithm.AES_GCM_256);
            case "rfc4543(gcm(aes))" -> Transforms.aes(keyBytes, EspAlgorithm.AES_GMAC_128, EspAlgorithm.AES_GMAC_256);
            case "rfc4309(ccm(aes))" -> Transforms.aes(keyBytes, EspAlgorithm.AES_CCM_128, EspAlgorithm.AES_CCM_256);
            default -> keyBytes == 32 ? EspAlgorithm.CHACHA20_POLY1305 : null;
        };
        if (algorithm == null) {
            String expected = a.name().startsWith("rfc7539esp") ? "36 (a 256-bit key and a 4-byte salt)"
                    : (16 + saltBytes) + " or " + (32 + saltBytes) + " (a 128- or 256-bit AES key and a " + saltBytes
                    + "-byte salt; AES-192 is not supported)";
            throw new SaFileException(file, a.line(), Transforms.length("the key of aead " + a.name(), a.key().length, expected));
        }
        if (a.bits() % 8 != 0 || !algorithm.icvLengths().contains(a.bits() / 8)) {
            throw new SaFileException(file, a.line(), "aead " + a.name() + " with a " + a.bits() + "-bit ICV is not "
                    + "supported (" + algorithm.icvLengths().stream().map(b -> String.valueOf(b * 8)).toList() + " are)");
        }
        return new Transforms.Keys(algorithm, a.bits() / 8, a.key(), null, null);
    }

    private Transforms.Keys cipher(State s) {
        Algorithm e = s.enc;
        if (e == null) {
            throw new SaFileException(file, s.line, "ESP state without an enc or aead line");
        }
        EspAlgorithm algorithm = switch (e.name()) {
            case "cbc(aes)", "aes" -> {
                EspAlgorithm cbc = Transforms.aes(e.key().length, EspAlgorithm.AES_CBC_128, EspAlgorithm.AES_CBC_256);
                if (cbc == null) {
                    throw new SaFileException(file, e.line(), Transforms.length("the key of enc " + e.name(),
                            e.key().length, "16 or 32 (AES-128 or AES-256; AES-192 is not supported)"));
                }
                yield cbc;
            }
            case "ecb(cipher_null)", "cipher_null" -> {
                if (e.key().length != 0) {
                    throw new SaFileException(file, e.line(), Transforms.length("the key of enc " + e.name(),
                            e.key().length, "none"));
                }
                yield EspAlgorithm.NULL;
            }
            default -> throw new SaFileException(file, e.line(), "enc " + KeyText.shown(e.name()) + " is not supported: " + SUPPORTED);
        };
        Algorithm a = s.auth;
        if (a == null || a.name().equals("digest_null")) {
            return new Transforms.Keys(algorithm, 0, e.key(), null, null);
        }
        IntegrityAlgorithm integrity = switch (a.name()) {
            case "hmac(sha256)", "sha256" -> IntegrityAlgorithm.HMAC_SHA256_128;
            case "hmac(sha384)", "sha384" -> IntegrityAlgorithm.HMAC_SHA384_192;
            case "hmac(sha512)", "sha512" -> IntegrityAlgorithm.HMAC_SHA512_256;
            default -> throw new SaFileException(file, a.line(), a.kind() + " " + KeyText.shown(a.name()) + " is not supported: "
                    + SUPPORTED);
        };
        // A plain 'auth' line takes the kernel's default truncation: 96 bits for hmac(sha256) (the
        // draft Linux followed before RFC 4868), the RFC's half of the hash for the others.
        int bits = a.bits() >= 0 ? a.bits() : integrity == IntegrityAlgorithm.HMAC_SHA256_128 ? 96 : integrity.icvLength() * 8;
        if (bits != integrity.icvLength() * 8) {
            throw new SaFileException(file, a.line(), a.kind() + " " + a.name() + " truncated to " + bits + " bits is "
                    + "not supported (RFC 4868 truncates it to " + integrity.icvLength() * 8 + ")");
        }
        if (a.key().length != integrity.keyLength()) {
            throw new SaFileException(file, a.line(), Transforms.length("the key of " + a.kind() + " " + a.name(),
                    a.key().length, integrity.keyLength() + " (RFC 4868 section 2.1.1: as long as the hash output)"));
        }
        return new Transforms.Keys(algorithm, integrity.icvLength(), e.key(), integrity, a.key());
    }

    private String value(int number, List<String> t, String keyword) {
        int at = t.indexOf(keyword);
        if (at < 0 || at + 1 >= t.size()) {
            throw new SaFileException(file, number, "malformed " + t.get(0) + " line: no " + keyword);
        }
        return t.get(at + 1);
    }

    private long unsigned(int number, List<String> t, int at, String what) {
        String text = at >= 0 && at < t.size() ? t.get(at) : "";
        if (text.endsWith(",")) {
            text = text.substring(0, text.length() - 1);
        }
        try {
            long v = Long.parseLong(text);
            if (v >= 0 && v <= 0xFFFF_FFFFL) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new SaFileException(file, number, "malformed line: " + what + " needs an unsigned number"
                + (text.isEmpty() ? "" : ", found '" + KeyText.shown(text) + "'"));
    }

    private static boolean isEventWord(String word) {
        return word.equals("Updated") || word.equals("Expired") || word.equals("Deleted");
    }

    private static List<String> tokens(String line) {
        String s = line.strip();
        return s.isEmpty() ? List.of() : List.of(s.split("\\s+"));
    }
}
