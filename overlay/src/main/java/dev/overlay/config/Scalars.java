package dev.overlay.config;

import dev.overlay.vtep.MacAddress;
import java.math.BigInteger;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HexFormat;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * Parsing of scalar values from their source text. Each parser throws
 * {@link IllegalArgumentException} whose message is the user-facing explanation.
 */
final class Scalars {

    private static final Pattern DECIMAL = Pattern.compile("[+-]?[0-9]+");
    private static final Pattern HEX = Pattern.compile("0[xX][0-9A-Fa-f]+");
    private static final Pattern DOTTED_QUAD = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,62}");
    /** Stricter than {@link MacAddress#of}: ASCII hex digits only, one separator throughout. */
    private static final Pattern MAC =
            Pattern.compile("[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(\\1[0-9A-Fa-f]{2}){4}");

    private Scalars() {
    }

    /** "a mapping", "a list", "null", or the scalar quoted, for type errors. */
    static String describe(Node node) {
        if (node instanceof MappingNode) {
            return "a mapping";
        }
        if (node instanceof SequenceNode) {
            return "a list";
        }
        if (isNull(node)) {
            return "no value";
        }
        return "'" + ((ScalarNode) node).getValue() + "'";
    }

    static boolean isNull(Node node) {
        return node instanceof ScalarNode s && s.isPlain() && Tag.NULL.equals(s.getTag());
    }

    /**
     * Six two-digit hex octets separated by {@code :} (or {@code -}, as Windows writes them; one
     * separator throughout), as in {@code "02:00:00:00:0a:01"}.
     */
    static MacAddress mac(String text) {
        if (text == null || !MAC.matcher(text).matches()) {
            throw new IllegalArgumentException("'" + text
                    + "' is not a MAC address (expected six hex octets like 02:00:00:00:0a:01)");
        }
        return new MacAddress(Long.parseLong(text.replace(":", "").replace("-", ""), 16));
    }

    /** Decimal or 0x-hex, as YAML 1.2's core schema writes integers; unbounded. */
    static BigInteger integer(String text) {
        if (DECIMAL.matcher(text).matches()) {
            return new BigInteger(text);
        }
        if (HEX.matcher(text).matches()) {
            return new BigInteger(text.substring(2), 16);
        }
        throw new IllegalArgumentException("expected a number (decimal or 0x-hex), got '" + text + "'");
    }

    /**
     * Hex bytes, with or without a {@code 0x} prefix (ip-xfrm and Wireshark write it,
     * {@code openssl rand -hex} does not); whitespace anywhere is ignored so keys may be wrapped.
     */
    static byte[] hexBytes(String text) {
        String s = text.replaceAll("\\s+", "");
        if (s.startsWith("0x") || s.startsWith("0X")) {
            s = s.substring(2);
        }
        if (s.length() % 2 != 0) {
            throw new IllegalArgumentException("expected hex bytes, got an odd number of hex digits ("
                    + s.length() + ")");
        }
        try {
            return HexFormat.of().parseHex(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("expected hex bytes like \"0x0102abcd\", got a non-hex character");
        }
    }

    /**
     * An IP address literal; never a host name, so loading a config never waits on DNS.
     * IPv4 must be a dotted quad: {@code InetAddress.ofLiteral} also takes "127.1".
     */
    static InetAddress address(String text) {
        boolean v6 = text.indexOf(':') >= 0;
        if (!v6 && !DOTTED_QUAD.matcher(text).matches()) {
            throw new IllegalArgumentException("'" + text
                    + "' is not an IP address (expected an IPv4 or IPv6 literal like 192.0.2.1 or 2001:db8::1)");
        }
        try {
            return InetAddress.ofLiteral(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "' is not an IP address");
        }
    }

    /** A unicast address a VTEP can send to or from. */
    static InetAddress unicastAddress(String text) {
        InetAddress a = address(text);
        if (a.isAnyLocalAddress() || a.isMulticastAddress()
                || (a instanceof Inet4Address && a.getAddress()[0] == (byte) 255 && a.getAddress()[3] == (byte) 255)) {
            throw new IllegalArgumentException("'" + text + "' is not a unicast address");
        }
        return a;
    }

    /** {@code 192.0.2.1:9464} or {@code [2001:db8::1]:9464}; resolved without DNS. */
    static InetSocketAddress hostPort(String text) {
        String host;
        String port;
        if (text.startsWith("[")) {
            int close = text.indexOf("]:");
            if (close < 0) {
                throw new IllegalArgumentException("'" + text + "' is not host:port (expected [2001:db8::1]:9464)");
            }
            host = text.substring(1, close);
            port = text.substring(close + 2);
        } else {
            int colon = text.lastIndexOf(':');
            if (colon < 0 || text.indexOf(':') != colon) {
                throw new IllegalArgumentException("'" + text
                        + "' is not host:port (expected 127.0.0.1:9464, or [::1]:9464 for IPv6)");
            }
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
        }
        InetAddress address = address(host);
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' has no port number after the colon");
        }
        if (p < 1 || p > 65535) {
            throw new IllegalArgumentException("port " + p + " in '" + text + "' is out of range (expected 1..65535)");
        }
        return new InetSocketAddress(address, p);
    }

    /** Peer and tenant names: they appear in key paths, metrics labels and file names. */
    static String name(String text) {
        if (!NAME.matcher(text).matches()) {
            throw new IllegalArgumentException("'" + text
                    + "' is not a valid name (letters, digits, '-' and '_', at most 63, not starting with '-' or '_')");
        }
        return text;
    }

    /** Linux {@code dev_valid_name}: 1..15 characters, no '/', ':' or whitespace, not "." or "..". */
    static String interfaceName(String text) {
        if (text.isEmpty() || text.length() > 15 || text.equals(".") || text.equals("..")
                || text.chars().anyMatch(c -> c == '/' || c == ':' || Character.isWhitespace(c))) {
            throw new IllegalArgumentException("'" + text
                    + "' is not a valid interface name (1..15 characters, no '/', ':' or spaces)");
        }
        return text;
    }
}
