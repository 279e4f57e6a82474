package dev.overlay.config;

import dev.overlay.vtep.MacAddress;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.api.lowlevel.Parse;
import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * Loads and validates a config file, reporting every problem at once with its key path and
 * line. Reading goes through snakeyaml-engine's compose step (nodes with marks), never object
 * construction, so each error can point at the line that caused it and no YAML tag can
 * instantiate anything.
 *
 * <p>Order of checks: YAML syntax (one error, since the rest of the tree is unknown), then
 * gateway, peers, tenants, SAs, each key by key, then the cross references between them.
 *
 * <p>A file is loaded for one use ({@link Purpose}): what only some uses need (an out SA for
 * every ESP tenant and peer, needed to send) is a {@link ConfigGap}, an error for those uses
 * alone. Without a purpose, a file is loaded for {@code run}, which every gap gates.
 */
public final class ConfigLoader {

    /** Larger configs are refused: a config is hand-written, and this bounds the parser's memory. */
    static final long MAX_FILE_BYTES = 16 << 20;

    private ConfigLoader() {
    }

    /** Reads and validates {@code file} for {@code run}; relative {@code key-file} paths resolve against its directory. */
    public static ConfigResult load(Path file) {
        return load(file, Purpose.RUN);
    }

    /** Reads and validates {@code file} for {@code purpose}. */
    public static ConfigResult load(Path file, Purpose purpose) {
        Problems problems = new Problems(file);
        String text;
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                problems.error("", 0, "cannot read config: larger than " + MAX_FILE_BYTES + " bytes");
                return problems.result(null, purpose);
            }
            text = Files.readString(file);
        } catch (CharacterCodingException e) {
            problems.error("", 0, "cannot read config: not UTF-8 text");
            return problems.result(null, purpose);
        } catch (IOException | SecurityException e) {
            problems.error("", 0, "cannot read config: " + reason(e));
            return problems.result(null, purpose);
        }
        return parse(file, text, purpose);
    }

    /** Validates {@code yaml} for {@code run} as if read from {@code file} (which need not exist unless key files are used). */
    public static ConfigResult parse(Path file, String yaml) {
        return parse(file, yaml, Purpose.RUN);
    }

    /** Validates {@code yaml} for {@code purpose} as if read from {@code file}. */
    public static ConfigResult parse(Path file, String yaml, Purpose purpose) {
        Problems problems = new Problems(file);
        Node root = compose(file, yaml, problems);
        if (root == null) {
            return problems.result(null, purpose);
        }
        YamlMap top = YamlMap.of(root, "", problems);
        if (top == null) {
            return problems.result(null, purpose);
        }
        top.allow("gateway", "peers", "tenants", "security-associations");
        YamlMap gatewayMap = top.map("gateway", true);
        Path dir = file.toAbsolutePath().getParent();
        GatewayConfig gateway = gateway(gatewayMap, dir, problems);
        // The address alone still checks the peers' family when another gateway key is wrong.
        InetAddress gatewayAddress = gateway != null ? gateway.address()
                : gatewayMap == null ? null : quietAddress(gatewayMap);
        Map<String, PeerConfig> peers = new LinkedHashMap<>();
        // In cluster mode peers come from etcd: the file's own peers and flood lists may be empty.
        boolean clustered = gatewayMap != null && gatewayMap.has("cluster");
        Set<String> peerNames = peers(top.map("peers", !clustered), gatewayAddress, problems, peers);
        TenantParser tenants = new TenantParser(problems, peerNames, clustered);
        tenants.parse(top.map("tenants", true));
        SaParser sas = new SaParser(problems, dir, peerNames, tenants.facts());
        sas.parse(top.list("security-associations", false));
        sas.checkCoverage();
        if (gateway != null) {
            for (TenantConfig t : tenants.tenants().values()) {
                TenantMtu mtu = TenantMtu.worstCase(gateway, t, sas.sas());
                if (mtu.mtu() < TenantMtu.IPV6_MIN_MTU) {
                    problems.warning("tenants." + t.name(), "tenant MTU " + mtu.mtu()
                            + " is below IPv6's minimum link MTU 1280 (RFC 8200 section 5); raise underlay-mtu",
                            Purpose.SENDING);
                }
                MssClampConfig clamp = t.mssClamp();
                if (clamp.mode() == MssClampConfig.Mode.FIXED && clamp.ipv4(mtu.mtu()) > mtu.mtu() - 40) {
                    problems.warning("tenants." + t.name() + ".mss-clamp", "mss-clamp " + clamp.mss()
                            + " lets TCP send packets of " + (clamp.mss() + 40) + " bytes, above the tenant MTU "
                            + mtu.mtu() + " (auto would clamp to " + (mtu.mtu() - 40) + ")");
                }
            }
        }
        if (problems.hasErrors(purpose)) {
            return problems.result(null, purpose);
        }
        if (gateway.stateDir().isEmpty()) {
            warnNonceReuse(sas.sas(), problems);
        }
        OverlayConfig config = new OverlayConfig(file, gateway, peers, tenants.tenants(), sas.sas(),
                problems.locations());
        return problems.result(config, purpose);
    }

    private static Node compose(Path file, String yaml, Problems problems) {
        LoadSettings settings = LoadSettings.builder()
                .setLabel(file.toString())
                .setMaxAliasesForCollections(50)
                .setAllowRecursiveKeys(false)
                // Reported by YamlMap with a line, rather than by the composer without one.
                .setAllowNonScalarKeys(true)
                .build();
        try {
            Optional<Node> root = new Compose(settings).composeString(yaml);
            if (root.isEmpty()) {
                problems.error("", 1, "empty config (expected gateway, peers and tenants)");
                return null;
            }
            return root.get();
        } catch (MarkedYamlEngineException e) {
            int line = e.getProblemMark().or(e::getContextMark).map(m -> m.getLine() + 1).orElse(0);
            String context = e.getContext() == null ? "" : " (" + e.getContext() + ")";
            problems.error("", line, "YAML syntax: " + e.getProblem() + context);
            return null;
        } catch (YamlEngineException e) {
            // A few scanner errors carry no mark; the last event parsed before it is the nearest line.
            problems.error("", Math.max(1, lastParsedLine(yaml, settings)), "YAML syntax: " + e.getMessage());
            return null;
        }
    }

    private static int lastParsedLine(String yaml, LoadSettings settings) {
        int line = 0;
        try {
            for (Event event : new Parse(settings).parseString(yaml)) {
                line = event.getEndMark().map(m -> m.getLine() + 1).orElse(line);
            }
        } catch (YamlEngineException expected) {
            // The same error again: line is where parsing stopped.
        }
        return line;
    }

    /**
     * Without {@code state-dir}, sequence numbers restart at {@code initial-sequence} with the
     * process, and for the counter modes the sequence number is the nonce: a warning per SA
     * concerned. Not an error: rolling every SA at each restart is a valid practice, and
     * existing configs must keep running.
     */
    private static void warnNonceReuse(java.util.List<SaConfig> sas, Problems problems) {
        for (int i = 0; i < sas.size(); i++) {
            SaConfig sa = sas.get(i);
            if (sa.direction() == SaConfig.Direction.OUT && sa.algorithm().sequenceIsNonce()) {
                problems.warning("security-associations[" + i + "]", "out SA " + sa.spiHex() + " ("
                        + sa.algorithm().configName() + "): " + NONCE_REUSE_WARNING, EnumSet.of(Purpose.RUN));
            }
        }
    }

    /** The warning of {@code check} and {@code run} for an out counter-mode SA without {@code gateway.state-dir}. */
    public static final String NONCE_REUSE_WARNING =
            "restarting with the same key reuses nonces: set gateway.state-dir or roll SAs at every restart";

    private static GatewayConfig gateway(YamlMap m, Path configDir, Problems problems) {
        if (m == null) {
            return null;
        }
        m.allow("name", "address", "mac", "esp-transport", "esp-port", "vxlan-port", "geneve-port",
                "underlay-mtu", "underlay-fragmentation", "workers", "steering", "metrics", "state-dir", "pin-workers",
                "cluster");
        String name = m.parsed("name", true, Scalars::name);
        InetAddress address = m.parsed("address", true, Scalars::unicastAddress);
        MacAddress mac = m.parsed("mac", false, ConfigLoader::unicastMac);
        GatewayConfig.EspTransport transport = m.choice("esp-transport", GatewayConfig.EspTransport.values(),
                GatewayConfig.EspTransport.UDP, false);
        Long espPort = m.integer("esp-port", 1, 65535, (long) GatewayConfig.DEFAULT_ESP_PORT, false);
        Long vxlanPort = m.integer("vxlan-port", 1, 65535, (long) GatewayConfig.DEFAULT_VXLAN_PORT, false);
        Long genevePort = m.integer("geneve-port", 1, 65535, (long) GatewayConfig.DEFAULT_GENEVE_PORT, false);
        Long mtu = m.integer("underlay-mtu", 576, 65535, (long) GatewayConfig.DEFAULT_UNDERLAY_MTU, false);
        GatewayConfig.UnderlayFragmentation fragmentation = m.choice("underlay-fragmentation",
                GatewayConfig.UnderlayFragmentation.values(), GatewayConfig.UnderlayFragmentation.DF, false);
        Long workers = m.integer("workers", 1, 1024, (long) GatewayConfig.defaultWorkers(), false);
        GatewayConfig.Steering steering = m.choice("steering", GatewayConfig.Steering.values(),
                GatewayConfig.Steering.SPI, false);
        InetSocketAddress metrics = m.parsed("metrics", false, Scalars::hostPort);
        Path stateDir = m.parsed("state-dir", false, text -> StateDirs.resolve(configDir, text));
        Boolean pinWorkers = m.bool("pin-workers", false);
        ClusterConfig cluster = ClusterParser.parse(m.map("cluster", false), configDir, problems);

        Map<Long, String> udpPorts = new HashMap<>();
        if (transport == GatewayConfig.EspTransport.UDP) {
            distinctPort(m, "esp-port", espPort, udpPorts, problems);
        }
        distinctPort(m, "vxlan-port", vxlanPort, udpPorts, problems);
        distinctPort(m, "geneve-port", genevePort, udpPorts, problems);
        if (address instanceof Inet6Address && mtu != null && mtu < TenantMtu.IPV6_MIN_MTU) {
            problems.error(m.child("underlay-mtu"), "underlay-mtu " + mtu
                    + " is below IPv6's minimum link MTU 1280 (RFC 8200 section 5)");
            mtu = null;
        }
        if (name == null || address == null || (m.has("mac") && mac == null) || transport == null
                || espPort == null || vxlanPort == null || genevePort == null || mtu == null
                || workers == null || steering == null || (m.has("metrics") && metrics == null)
                || (m.has("state-dir") && stateDir == null) || pinWorkers == null || fragmentation == null
                || (m.has("cluster") && cluster == null)) {
            return null;
        }
        return new GatewayConfig(name, address, Optional.ofNullable(mac), transport, espPort.intValue(),
                vxlanPort.intValue(), genevePort.intValue(), mtu.intValue(), workers.intValue(), steering,
                Optional.ofNullable(metrics), Optional.ofNullable(stateDir), pinWorkers, fragmentation,
                Optional.ofNullable(cluster));
    }

    private static void distinctPort(YamlMap m, String key, Long port, Map<Long, String> seen, Problems problems) {
        if (port == null) {
            return;
        }
        String other = seen.putIfAbsent(port, key);
        if (other != null) {
            problems.error(m.child(key), key + " " + port + " is also the " + other
                    + " (each UDP port must be distinct)");
        }
    }

    /** Parses {@code peers}; returns every peer name written, valid or not, so references to it are not also reported. */
    private static Set<String> peers(YamlMap m, InetAddress gateway, Problems problems, Map<String, PeerConfig> out) {
        Set<String> names = new LinkedHashSet<>();
        if (m == null) {
            return names;
        }
        Map<InetAddress, String> byAddress = new HashMap<>();
        for (String name : m.keys()) {
            names.add(name);
            String path = m.child(name);
            try {
                Scalars.name(name);
            } catch (IllegalArgumentException e) {
                problems.error(path, m.keyNode(name), "peer " + e.getMessage());
            }
            YamlMap p = m.map(name, true);
            if (p == null) {
                continue;
            }
            p.allow("address", "mac");
            InetAddress address = p.parsed("address", true, Scalars::unicastAddress);
            MacAddress mac = p.parsed("mac", false, ConfigLoader::unicastMac);
            if (address != null) {
                if (gateway != null && (address instanceof Inet6Address) != (gateway instanceof Inet6Address)) {
                    problems.error(p.child("address"), "peer address " + address.getHostAddress() + " is "
                            + family(address) + " but the gateway address " + gateway.getHostAddress()
                            + " is " + family(gateway) + " (the underlay uses one family)");
                    address = null;
                } else if (gateway != null && address.equals(gateway)) {
                    problems.error(p.child("address"), "peer address " + address.getHostAddress()
                            + " is the gateway's own address");
                    address = null;
                } else if (byAddress.putIfAbsent(address, name) != null) {
                    problems.error(p.child("address"), "peer address " + address.getHostAddress()
                            + " is also the address of peer " + byAddress.get(address));
                    address = null;
                }
            }
            if (address != null && (!p.has("mac") || mac != null)) {
                out.put(name, new PeerConfig(name, address, Optional.ofNullable(mac)));
            }
        }
        return names;
    }

    /** The gateway address if it parses, without reporting (gateway() already has). */
    private static InetAddress quietAddress(YamlMap gateway) {
        Problems scratch = new Problems(Path.of(""));
        YamlMap copy = YamlMap.of(gateway.node(), gateway.path(), scratch);
        return copy == null ? null : copy.parsed("address", false, Scalars::unicastAddress);
    }

    static MacAddress unicastMac(String text) {
        MacAddress mac = Scalars.mac(text);
        if (mac.isMulticast()) {
            throw new IllegalArgumentException(mac + " is a multicast address (expected a unicast MAC)");
        }
        return mac;
    }

    private static String family(InetAddress a) {
        return a instanceof Inet6Address ? "IPv6" : "IPv4";
    }

    private static String reason(Exception e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

}
