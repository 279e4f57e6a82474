package dev.overlay.pcap;

import dev.overlay.cli.Configs;
import dev.overlay.cli.UserException;
import dev.overlay.config.OverlayConfig;
import dev.overlay.datapath.Tenant;
import dev.overlay.datapath.Topology;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options every pcap command shares ({@code @Mixin}). */
final class Options {
    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The gateway config (YAML).")
    Path config;

    @Option(names = "--in", required = true, paramLabel = "IN", description = "Input capture (pcap or pcapng).")
    Path in;

    @Option(names = "--strict", description = "Exit 3 when any packet was dropped.")
    boolean strict;

    /** The topology of {@code --config}; an invalid config is exit 2 with every error listed. */
    Topology topology() {
        OverlayConfig loaded = Configs.loadOrFail(config);
        return Topology.of(loaded);
    }

    /** The tenant {@code --tenant} names, or null when it was not given. */
    static Tenant tenant(Topology topology, String name, Path config) {
        if (name == null) {
            return null;
        }
        Tenant tenant = topology.tenant(name);
        if (tenant == null) {
            throw new UserException(UserException.USAGE, "--tenant " + name + ": no such tenant in " + config
                    + " (tenants: " + String.join(", ", topology.tenants().keySet()) + ")");
        }
        return tenant;
    }
}
