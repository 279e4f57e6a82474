package dev.overlay.pcap;

import dev.overlay.cli.Configs;
import dev.overlay.cli.UserException;
import dev.overlay.config.OverlayConfig;
import dev.overlay.config.Purpose;
import dev.overlay.datapath.Tenant;
import dev.overlay.datapath.Topology;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Options every pcap command shares ({@code @Mixin}). {@code --config} is required by
 * {@code encode}; the readers take {@code --sa-file} instead or as well ({@link KeySources}).
 */
final class Options {
    @Option(names = "--config", paramLabel = "FILE",
            description = "The gateway config (YAML). The readers (decode, decrypt, inspect) need only the SAs that "
                    + "open the capture: inbound SAs alone will do, or --sa-file instead.")
    Path config;

    @Option(names = "--in", required = true, paramLabel = "IN", description = "Input capture (pcap or pcapng).")
    Path in;

    @Option(names = "--strict", description = "Exit 3 when any packet was dropped.")
    boolean strict;

    /**
     * The topology of {@code --config}, which must be given, as valid for {@code purpose}; an
     * invalid config is exit 2 with every error listed. Its warnings for that use go to {@code err}.
     */
    Topology topology(Purpose purpose, PrintWriter err) {
        if (config == null) {
            // picocli's own sentence for a missing required option.
            throw new UserException(UserException.USAGE, "Missing required option: '--config=FILE'");
        }
        OverlayConfig loaded = Configs.loadOrFail(config, purpose, err);
        return Topology.of(loaded);
    }

    /** The tenant {@code --tenant} names, or null when it was not given. */
    static Tenant tenant(Topology topology, String name, Path config) {
        if (name == null) {
            return null;
        }
        if (topology.keysOnly()) {
            throw new UserException(UserException.USAGE, "--tenant " + name + " needs --config: SA files name no tenants");
        }
        Tenant tenant = topology.tenant(name);
        if (tenant == null) {
            throw new UserException(UserException.USAGE, "--tenant " + name + ": no such tenant in " + config
                    + " (tenants: " + String.join(", ", topology.tenants().keySet()) + ")");
        }
        return tenant;
    }
}
