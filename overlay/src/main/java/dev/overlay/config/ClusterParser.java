package dev.overlay.config;

import dev.overlay.esp.EspAlgorithm;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;

/** Reads {@code gateway.cluster} (README, "Cluster mode"); every problem with its key path and line. */
final class ClusterParser {
    /** etcd keys are bytes; ours stay printable so {@code etcdctl get --prefix} output reads as written. */
    private static final Pattern PREFIX = Pattern.compile("(/[A-Za-z0-9._-]+)+");
    /** A pre-shared key shorter than this is refused: it is meant to be 32 random bytes. */
    static final int MIN_PSK_BYTES = 32;

    private ClusterParser() {
    }

    /** The section, or null when it is absent or has errors (reported). */
    static ClusterConfig parse(YamlMap m, Path configDir, Problems problems) {
        if (m == null) {
            return null;
        }
        int before = problems.errorCount();
        m.allow("etcd", "prefix", "tls", "psk-file", "algorithm", "rekey-interval", "rekey-grace", "lease-ttl");
        List<URI> endpoints = endpoints(m, problems);
        String prefix = m.parsed("prefix", true, ClusterParser::prefix);
        ClusterConfig.Tls tls = tls(m.map("tls", false), configDir, problems);
        byte[] psk = m.parsed("psk-file", false, text -> psk(configDir, text));
        EspAlgorithm algorithm = m.choice("algorithm", ClusterConfig.ALGORITHMS.toArray(EspAlgorithm[]::new),
                EspAlgorithm.AES_GCM_256, false);
        Long rekey = m.integer("rekey-interval", 0, 86_400L * 365, (long) ClusterConfig.DEFAULT_REKEY_SECONDS, false);
        Long grace = m.integer("rekey-grace", 1, 86_400, (long) ClusterConfig.DEFAULT_GRACE_SECONDS, false);
        Long lease = m.integer("lease-ttl", 2, 3600, (long) ClusterConfig.DEFAULT_LEASE_SECONDS, false);
        if (m.has("tls") && endpoints != null) {
            for (int i = 0; i < endpoints.size(); i++) {
                if (!"https".equals(endpoints.get(i).getScheme())) {
                    problems.error(m.child("etcd") + "[" + i + "]", "tls is set but " + endpoints.get(i)
                            + " is not https:// (etcd answers TLS only on https endpoints)");
                }
            }
        }
        if (endpoints == null || prefix == null || (m.has("tls") && tls == null) || (m.has("psk-file") && psk == null)
                || algorithm == null || rekey == null || grace == null || lease == null
                || problems.errorCount() != before) {
            return null;
        }
        return new ClusterConfig(endpoints, prefix, Optional.ofNullable(tls), psk, algorithm, rekey.intValue(),
                grace.intValue(), lease.intValue());
    }

    private static List<URI> endpoints(YamlMap m, Problems problems) {
        List<Node> items = m.list("etcd", true);
        if (items == null) {
            return null;
        }
        if (items.isEmpty()) {
            problems.error(m.child("etcd"), "needs at least one endpoint (expected [http://127.0.0.1:2379])");
            return null;
        }
        List<URI> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            String path = m.child("etcd") + "[" + i + "]";
            if (!(items.get(i) instanceof ScalarNode s) || Scalars.isNull(s)) {
                problems.error(path, items.get(i), "expected an endpoint URL, got " + Scalars.describe(items.get(i)));
                return null;
            }
            try {
                out.add(endpoint(s.getValue()));
            } catch (IllegalArgumentException e) {
                problems.error(path, s, e.getMessage());
                return null;
            }
        }
        return out;
    }

    /** {@code http://host:port} or {@code https://host:port}: etcd's own client URL form. */
    static URI endpoint(String text) {
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + text + "' is not an http:// or https:// URL (expected http://127.0.0.1:2379)");
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
            throw new IllegalArgumentException("'" + text + "' is not an http:// or https:// URL (expected http://127.0.0.1:2379)");
        }
        if (uri.getHost() == null || uri.getPort() < 1) {
            throw new IllegalArgumentException("'" + text + "' needs a host and a port (expected http://127.0.0.1:2379)");
        }
        if ((uri.getPath() != null && !uri.getPath().isEmpty()) || uri.getQuery() != null || uri.getUserInfo() != null) {
            throw new IllegalArgumentException("'" + text + "' has more than scheme, host and port");
        }
        return uri;
    }

    static String prefix(String text) {
        if (!PREFIX.matcher(text).matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a key prefix (expected /overlay/NAME: "
                    + "'/' then letters, digits, '.', '_' or '-', no trailing '/')");
        }
        return text;
    }

    private static ClusterConfig.Tls tls(YamlMap m, Path configDir, Problems problems) {
        if (m == null) {
            return null;
        }
        int before = problems.errorCount();
        m.allow("ca", "cert", "key");
        Path ca = m.parsed("ca", false, text -> readable(configDir, text, "ca", false));
        Path cert = m.parsed("cert", false, text -> readable(configDir, text, "cert", false));
        Path key = m.parsed("key", false, text -> readable(configDir, text, "key", true));
        if (m.has("cert") != m.has("key")) {
            problems.error(m.child(m.has("cert") ? "key" : "cert"), m.line(),
                    "cert and key go together (mutual TLS needs both)");
        }
        if (problems.errorCount() != before) {
            return null;
        }
        return new ClusterConfig.Tls(Optional.ofNullable(ca), Optional.ofNullable(cert), Optional.ofNullable(key));
    }

    /** A file that exists and can be read; a private key may not be accessible to group or others. */
    private static Path readable(Path configDir, String written, String what, boolean secret) {
        Path file = configDir == null ? Path.of(written) : configDir.resolve(written).normalize();
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(what + " " + written + " does not exist (resolved to " + file + ")");
        }
        if (!Files.isReadable(file)) {
            throw new IllegalArgumentException(what + " " + written + " cannot be read: permission denied");
        }
        if (secret) {
            KeyFiles.checkPrivate(file, what, written);
        }
        return file;
    }

    /** The hex of {@code psk-file}, held to the rules of key files (mode 0600, hex), 32 bytes or more. */
    private static byte[] psk(Path configDir, String written) {
        byte[] psk = KeyFiles.read(configDir, written, "psk-file");
        if (psk.length < MIN_PSK_BYTES) {
            throw new IllegalArgumentException("psk-file " + written + " holds " + psk.length
                    + " bytes (expected at least " + MIN_PSK_BYTES + ": openssl rand -hex 32)");
        }
        return psk;
    }
}
