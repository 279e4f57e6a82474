package dev.overlay.cli;

import dev.overlay.config.CheckReport;
import dev.overlay.config.ConfigError;
import dev.overlay.config.ConfigErrors;
import dev.overlay.config.ConfigResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code overlay check --config FILE}: validates a config and prints the resolved view (tenants,
 * VNIs, peers, SAs without keys, effective tenant MTU). Exit 0 when valid, 2 with every error
 * listed otherwise.
 */
@Command(name = "check", description = "Validate a config and print the resolved view (no key material).")
final class CheckCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The config file (YAML).")
    Path config;

    @Option(names = "--json", description = "Print the resolved view as JSON.")
    boolean json;

    @Override
    public Integer call() {
        ConfigResult result = Configs.load(config);
        var err = spec.commandLine().getErr();
        if (!result.ok()) {
            // Errors and warnings together, in line order; a valid config's report lists its warnings.
            List<ConfigError> all = new ArrayList<>(result.errors());
            all.addAll(result.warnings());
            all.sort(Comparator.comparingInt(ConfigError::line));
            err.print(ConfigErrors.format(all));
            err.println("overlay: " + config + ": " + result.errors().size()
                    + (result.errors().size() == 1 ? " error" : " errors"));
            return ConfigErrors.EXIT_INVALID;
        }
        CheckReport report = CheckReport.of(result);
        spec.commandLine().getOut().print(json ? report.renderJson() : report.render());
        return 0;
    }
}
