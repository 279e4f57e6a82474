package dev.overlay.pcap;

import dev.overlay.cli.Configs;
import dev.overlay.cli.UserException;
import dev.overlay.config.OverlayConfig;
import dev.overlay.config.Purpose;
import dev.overlay.config.SaConfig;
import dev.overlay.datapath.ExternalSa;
import dev.overlay.datapath.Topology;
import dev.overlay.pcap.keys.SaFileException;
import dev.overlay.pcap.keys.SaFiles;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Where the readers ({@code decode}, {@code decrypt}, {@code inspect}, {@code wireshark-keys})
 * find keys: {@code --config}, loaded for that use only (a file of inbound SAs will do), and
 * {@code --sa-file} ({@code ip xfrm state} output or a Wireshark {@code esp_sa} file), either or
 * both. With both, every SA of both is used; an SA given in both with the same keys is used once
 * (as the config's, with its tenants), and a file's SA whose SPI and direction the config gives
 * to other keys is an error. Direction is the config's view: a file's SA to the gateway's address
 * is {@code in}, to another address {@code out}, to any address (Wireshark's {@code *}) either.
 */
final class KeySources {

    @Option(names = "--sa-file", paramLabel = "FILE",
            description = "SAs to open ESP with, as `ip xfrm state` (or `ip -s xfrm state`) prints them or as a "
                    + "Wireshark esp_sa file; repeatable. With it, --config is optional.")
    List<Path> saFiles = new ArrayList<>();

    /** The keys of a run: the topology (the config's, or none) and the SAs of the files. */
    record Keys(Topology topology, List<ExternalSa> external, Path config) {
        /** True when there is no config: no tenants, no tenant check. */
        boolean keysOnly() {
            return topology.keysOnly();
        }
    }

    /** The keys for {@code purpose}; an invalid config or SA file is exit 2, one sentence (every error of a config). */
    Keys load(Options options, Purpose purpose, PrintWriter err) {
        return load(options.config, purpose, err);
    }

    /** As {@link #load(Options, Purpose, PrintWriter)} with {@code config} as {@code --config} (or null). */
    Keys load(Path config, Purpose purpose, PrintWriter err) {
        if (config == null && saFiles.isEmpty()) {
            throw new UserException(UserException.USAGE, "Missing required option: '--config=FILE' or "
                    + "'--sa-file=FILE' (the keys to open the capture with; both may be given)");
        }
        Topology topology = config != null
                ? Topology.of(Configs.loadOrFail(config, purpose, err))
                : Topology.keysOnly(saFiles.get(0));
        List<String> warnings = new ArrayList<>();
        List<ExternalSa> external;
        try {
            external = SaFiles.read(saFiles, warnings);
            if (config != null) {
                external = againstConfig(topology.config(), external);
            }
        } catch (SaFileException e) {
            throw new UserException(UserException.USAGE, e.getMessage());
        }
        warnings.forEach(err::println);
        err.flush();
        return new Keys(topology, external, config);
    }

    /**
     * {@code sas} without the SAs the config already has; an error for one whose SPI and
     * direction the config gives to other keys (a lookup could not tell which opens).
     */
    static List<ExternalSa> againstConfig(OverlayConfig config, List<ExternalSa> sas) {
        InetAddress gateway = config.gateway().address();
        List<ExternalSa> out = new ArrayList<>();
        next:
        for (ExternalSa sa : sas) {
            boolean maybeIn = sa.destination().isEmpty() || sa.destination().get().equals(gateway);
            boolean maybeOut = sa.destination().isEmpty() || !sa.destination().get().equals(gateway);
            List<SaConfig> all = config.securityAssociations();
            for (int i = 0; i < all.size(); i++) {
                SaConfig c = all.get(i);
                boolean in = c.direction() == SaConfig.Direction.IN;
                if (c.spi() != sa.sa().spi() || (in ? !maybeIn : !maybeOut)) {
                    continue;
                }
                if (sa.opensLike(c)) {
                    continue next;
                }
                throw new SaFileException(sa.origin(), "spi " + sa.sa().spiHex() + " (" + c.direction().configName()
                        + ", to " + sa.destination().map(InetAddress::getHostAddress).orElse("any address")
                        + ") is also security-associations[" + i + "] of " + config.source() + ", with other keys: "
                        + "one SPI and direction can name one SA");
            }
            out.add(sa);
        }
        return out;
    }
}
