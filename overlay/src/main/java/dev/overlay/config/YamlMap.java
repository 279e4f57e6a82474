package dev.overlay.config;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * One YAML mapping of the config, read key by key. Every getter reports its own problem (with
 * the key path and the line of the offending node) to {@link Problems} and returns {@code null},
 * so a section is read to the end and every error in it is reported, not just the first.
 * Block and flow style compose to the same nodes, so both are accepted everywhere.
 */
final class YamlMap {

    private final String path;
    private final Node node;
    private final Problems problems;
    private final Map<String, NodeTuple> entries = new LinkedHashMap<>();

    private YamlMap(MappingNode node, String path, Problems problems) {
        this.path = path;
        this.node = node;
        this.problems = problems;
        for (NodeTuple t : node.getValue()) {
            if (!(t.getKeyNode() instanceof ScalarNode key)) {
                problems.error(path, t.getKeyNode(), "expected a key name, got " + Scalars.describe(t.getKeyNode()));
                continue;
            }
            NodeTuple first = entries.putIfAbsent(key.getValue(), t);
            if (first != null) {
                problems.error(child(key.getValue()), key, "duplicate key '" + key.getValue()
                        + "' (first at line " + Problems.line(first.getKeyNode()) + ")");
            } else {
                problems.locate(child(key.getValue()), key);
            }
        }
    }

    /** The mapping at {@code node}, or {@code null} after reporting that it is something else. */
    static YamlMap of(Node node, String path, Problems problems) {
        if (node instanceof MappingNode m) {
            return new YamlMap(m, path, problems);
        }
        problems.error(path, node, "expected a mapping, got " + Scalars.describe(node));
        return null;
    }

    String path() {
        return path;
    }

    Node node() {
        return node;
    }

    String child(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    Set<String> keys() {
        return entries.keySet();
    }

    Node keyNode(String key) {
        return entries.get(key).getKeyNode();
    }

    /** Reports every key not in {@code known}, with a suggestion when one is close. */
    void allow(String... known) {
        List<String> k = Arrays.asList(known);
        for (Map.Entry<String, NodeTuple> e : entries.entrySet()) {
            if (!k.contains(e.getKey())) {
                problems.error(child(e.getKey()), e.getValue().getKeyNode(),
                        "unknown key '" + e.getKey() + "'" + DidYouMean.suggest(e.getKey(), k));
            }
        }
    }

    boolean has(String key) {
        NodeTuple t = entries.get(key);
        return t != null && !Scalars.isNull(t.getValueNode());
    }

    /** The value node, or {@code null} when absent or written without a value. */
    Node value(String key, boolean required) {
        NodeTuple t = entries.get(key);
        if (t == null || Scalars.isNull(t.getValueNode())) {
            if (required) {
                if (t == null) {
                    problems.error(child(key), path.isEmpty() ? 1 : problems.line(path),
                            "missing required key '" + key + "'");
                } else {
                    problems.error(child(key), t.getKeyNode(), "'" + key + "' needs a value");
                }
            }
            return null;
        }
        return t.getValueNode();
    }

    /** A scalar's text (quoted or not). */
    String text(String key, boolean required) {
        Node v = value(key, required);
        if (v == null) {
            return null;
        }
        if (v instanceof ScalarNode s) {
            return s.getValue();
        }
        problems.error(child(key), v, "expected a single value, got " + Scalars.describe(v));
        return null;
    }

    /** {@link #text} passed through {@code parser}, whose exception message becomes the error. */
    <T> T parsed(String key, boolean required, Function<String, T> parser) {
        String text = text(key, required);
        if (text == null) {
            return null;
        }
        try {
            return parser.apply(text);
        } catch (IllegalArgumentException e) {
            problems.error(child(key), value(key, false), e.getMessage());
            return null;
        }
    }

    /** An unquoted decimal or 0x-hex integer in {@code min..max}, or {@code dflt} when absent. */
    Long integer(String key, long min, long max, Long dflt, boolean required) {
        BigInteger b = bigInteger(key, required);
        if (b == null) {
            return has(key) ? null : dflt;
        }
        if (b.compareTo(BigInteger.valueOf(min)) < 0 || b.compareTo(BigInteger.valueOf(max)) > 0) {
            problems.error(child(key), value(key, false), key + " " + b + " is out of range (expected "
                    + min + ".." + max + ")");
            return null;
        }
        return b.longValue();
    }

    /** An unquoted integer of any size; range checks are the caller's. */
    BigInteger bigInteger(String key, boolean required) {
        Node v = value(key, required);
        if (v == null) {
            return null;
        }
        if (!(v instanceof ScalarNode s) || !s.isPlain()) {
            problems.error(child(key), v, "expected a number, got " + Scalars.describe(v)
                    + (v instanceof ScalarNode ? " in quotes (write it without quotes)" : ""));
            return null;
        }
        try {
            return Scalars.integer(s.getValue());
        } catch (IllegalArgumentException e) {
            problems.error(child(key), v, e.getMessage());
            return null;
        }
    }

    /** An unquoted true or false; {@code dflt} when absent, {@code null} after an error. */
    Boolean bool(String key, boolean dflt) {
        Node v = value(key, false);
        if (v == null) {
            return has(key) ? null : dflt;
        }
        if (v instanceof ScalarNode s && s.isPlain() && Tag.BOOL.equals(s.getTag())) {
            return Boolean.parseBoolean(s.getValue().toLowerCase(Locale.ROOT));
        }
        problems.error(child(key), v, "expected true or false, got " + Scalars.describe(v));
        return null;
    }

    /** One of {@code values} by its lower-case name; {@code dflt} when absent. */
    <E extends Enum<E>> E choice(String key, E[] values, E dflt, boolean required) {
        NodeTuple entry = entries.get(key);
        // "null" is an algorithm name (RFC 2410) as well as YAML's null: a written null is a choice.
        boolean writtenNull = entry != null && entry.getValueNode() instanceof ScalarNode s
                && Scalars.isNull(s) && s.getValue().equalsIgnoreCase("null");
        String text = writtenNull ? "null" : text(key, required);
        if (text == null) {
            return has(key) ? null : dflt;
        }
        Node where = writtenNull ? entry.getValueNode() : value(key, false);
        Set<String> names = new LinkedHashSet<>();
        for (E e : values) {
            String n = e.toString().equals(e.name()) ? e.name().toLowerCase(Locale.ROOT) : e.toString();
            if (n.equals(text)) {
                return e;
            }
            names.add(n);
        }
        problems.error(child(key), where, key + " '" + text + "' is not one of "
                + String.join(", ", names) + DidYouMean.suggest(text, names));
        return null;
    }

    YamlMap map(String key, boolean required) {
        Node v = value(key, required);
        return v == null ? null : of(v, child(key), problems);
    }

    /** A list's items, each located at {@code key[i]}; empty when absent, {@code null} after an error. */
    List<Node> list(String key, boolean required) {
        Node v = value(key, required);
        if (v == null) {
            return has(key) ? null : (required ? null : List.of());
        }
        if (!(v instanceof SequenceNode s)) {
            problems.error(child(key), v, "expected a list, got " + Scalars.describe(v));
            return null;
        }
        List<Node> items = s.getValue();
        for (int i = 0; i < items.size(); i++) {
            problems.locate(child(key) + "[" + i + "]", items.get(i));
        }
        return items;
    }

    /** A list of names ({@code [gw-b, gw-c]}), each once. */
    List<String> names(String key, boolean required) {
        List<Node> items = list(key, required);
        if (items == null) {
            return null;
        }
        List<String> out = new ArrayList<>();
        boolean ok = true;
        for (int i = 0; i < items.size(); i++) {
            Node item = items.get(i);
            String p = child(key) + "[" + i + "]";
            if (!(item instanceof ScalarNode s) || Scalars.isNull(item)) {
                problems.error(p, item, "expected a name, got " + Scalars.describe(item));
                ok = false;
            } else if (out.contains(s.getValue())) {
                problems.error(p, item, "'" + s.getValue() + "' is listed twice");
                ok = false;
            } else {
                out.add(s.getValue());
            }
        }
        return ok ? out : null;
    }

    int line() {
        return Problems.line(node);
    }
}
