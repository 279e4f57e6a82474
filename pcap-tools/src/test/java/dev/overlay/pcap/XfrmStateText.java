package dev.overlay.pcap;

import java.util.HexFormat;
import java.util.Locale;

/**
 * One SA as Linux's {@code ip xfrm state} prints it, for tests: the kernel here has no xfrm (no
 * {@code ip xfrm state add}), so the text is made the way iproute2 makes it, field by field from
 * its print code ({@code xfrm_state_info_print}, {@code xfrm_id_info_print},
 * {@code xfrm_xfrma_print}, {@code __xfrm_algo_print}, {@code xfrm_aead_print},
 * {@code xfrm_auth_trunc_print}, {@code xfrm_selector_print}, {@code xfrm_lifetime_print} and
 * {@code xfrm_stats_print} in {@code ip/ipxfrm.c}), with the attributes the kernel dumps for
 * every state ({@code copy_to_user_state_extra}: both AUTH and AUTH_TRUNC, of which iproute2
 * prints auth-trunc; REPLAY_VAL, or REPLAY_ESN_VAL for ESN or a window over 32).
 *
 * <p>{@code stats} is {@code ip -s}: the SPI and reqid in both bases, {@code seq 0x%08u} (sic:
 * iproute2 prints the sequence number in decimal after "0x"), the flag byte in binary, key sizes,
 * the selector's uid, lifetimes and statistics.
 */
final class XfrmStateText {
    private static final HexFormat HEX = HexFormat.of();

    /** {@code name}: the kernel's canonical name, e.g. {@code rfc4106(gcm(aes))}; {@code bits}: ICV or truncation. */
    record Algo(String name, byte[] key, int bits) {}

    String src;
    String dst;
    long spi;
    int reqid = 1;
    String mode = "transport";
    /** The SA's replay window; over 32 or with esn it goes to the ESN replay state, as ip xfrm state add puts it. */
    int window = 32;
    boolean esn;
    boolean afUnspec;
    Algo authTrunc;
    /** A plain {@code auth} line, printed when there is no auth-trunc (as ip xfrm state add takes it, and older kernels dump). */
    Algo auth;
    Algo aead;
    Algo enc;
    /** ESP in UDP: the ports; 0 for none. */
    int encapSport;
    int encapDport;
    boolean selector = true;
    String dir;
    boolean stats;
    /** The ESN replay state's numbers: the highest received ({@code seq-hi}, {@code seq}) and the last sent ({@code oseq-hi}, {@code oseq}). */
    long seqIn;
    long seqOut;

    XfrmStateText(String src, String dst, long spi) {
        this.src = src;
        this.dst = dst;
        this.spi = spi;
    }

    private boolean esnReplay() {
        return esn || window > 32;
    }

    String render() {
        StringBuilder sb = new StringBuilder();
        // xfrm_id_info_print
        sb.append("src ").append(src).append(' ').append("dst ").append(dst).append('\n');
        sb.append('\t').append("proto esp ");
        sb.append(String.format("spi 0x%08x", spi));
        if (stats) {
            sb.append(String.format("(%d)", spi));
        }
        sb.append(' ');
        sb.append("reqid ").append(reqid);
        if (stats) {
            sb.append(String.format("(0x%08x)", reqid));
        }
        sb.append(' ');
        sb.append("mode ").append(mode).append('\n');
        // xfrm_state_info_print
        int flags = (afUnspec ? 32 : 0) | (esn ? 128 : 0);
        sb.append('\t').append("replay-window ").append(esnReplay() ? 0 : window).append(' ');
        if (stats) {
            sb.append("seq 0x").append(String.format("%08d", 0)).append(' ');
        }
        if (stats || flags != 0) {
            sb.append("flag ");
            int left = flags;
            if ((left & 32) != 0) {
                left &= ~32;
                sb.append("af-unspec").append(left != 0 ? " " : "");
            }
            if ((left & 128) != 0) {
                left &= ~128;
                sb.append("esn").append(left != 0 ? " " : "");
            }
        }
        if (stats) {
            String bits = String.format("%8s", Integer.toBinaryString(flags)).replace(' ', '0');
            sb.append(" (0x").append(bits).append(')');
        }
        sb.append('\n');
        // xfrm_xfrma_print, in its order: auth-trunc, aead, enc, encap, replay state, dir
        if (authTrunc != null) {
            algo(sb, "auth-trunc", authTrunc);
            sb.append(' ').append(authTrunc.bits()).append('\n');
        }
        if (authTrunc == null && auth != null) {
            algo(sb, "auth", auth);
            sb.append('\n');
        }
        if (aead != null) {
            algo(sb, "aead", aead);
            sb.append(' ').append(aead.bits()).append('\n');
        }
        if (enc != null) {
            algo(sb, "enc", enc);
            sb.append('\n');
        }
        if (encapDport != 0) {
            sb.append('\t').append("encap ").append("type espinudp ").append("sport ").append(encapSport).append(' ')
                    .append("dport ").append(encapDport).append(' ').append("addr ")
                    .append(src.contains(":") ? "::" : "0.0.0.0").append('\n');
        }
        if (esnReplay()) {
            int words = (window + 31) / 32;
            sb.append('\t').append("anti-replay esn context:").append('\n');
            sb.append('\t').append(String.format(" seq-hi 0x%x, seq 0x%x, oseq-hi 0x%x, oseq 0x%x", seqIn >>> 32,
                    seqIn & 0xFFFF_FFFFL, seqOut >>> 32, seqOut & 0xFFFF_FFFFL)).append('\n');
            sb.append('\t').append(" replay_window ").append(window).append(", bitmap-length ").append(words);
            for (int i = words, j = 0; i > 0; i--) {
                if (j++ % 8 == 0) {
                    sb.append('\n').append('\t').append(' ');
                }
                sb.append("00000000 ");
            }
            sb.append('\n');
        } else {
            sb.append('\t').append("anti-replay context: ").append("seq 0x0, oseq 0x0, bitmap 0x00000000").append('\n');
        }
        if (dir != null) {
            sb.append("\tdir ").append(dir).append('\n');
        }
        if (selector) {
            String any = src.contains(":") ? "::" : "0.0.0.0";
            sb.append('\t').append("sel ").append("src ").append(any).append("/0 ").append("dst ").append(any)
                    .append("/0 ");
            if (stats) {
                sb.append("uid 0");
            }
            sb.append('\n');
        }
        if (stats) {
            sb.append("\tlifetime config:\n");
            sb.append("\t  limit: soft (INF)(bytes), hard (INF)(bytes)\n");
            sb.append("\t  limit: soft (INF)(packets), hard (INF)(packets)\n");
            sb.append("\t  expire add: soft 0(sec), hard 0(sec)\n");
            sb.append("\t  expire use: soft 0(sec), hard 0(sec)\n");
            sb.append("\tlifetime current:\n");
            sb.append("\t  0(bytes), 0(packets)\n");
            sb.append("\t  add 2025-06-01 12:00:00 use -\n");
            sb.append("\tstats:\n");
            sb.append("\t  replay-window 0 replay 0 failed 0\n");
        }
        return sb.toString();
    }

    /** __xfrm_algo_print without its newline: "TYPE NAME " then the key, if any, and under -s its size. */
    private void algo(StringBuilder sb, String type, Algo a) {
        sb.append('\t').append(type).append(' ').append(a.name()).append(' ');
        if (a.key().length > 0) {
            sb.append("0x").append(HEX.formatHex(a.key()));
            if (stats) {
                sb.append(String.format(Locale.ROOT, " (%d bits)", a.key().length * 8));
            }
        }
    }
}
