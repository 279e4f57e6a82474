package dev.overlay.cli;

import dev.overlay.config.CheckReport;
import dev.overlay.config.ConfigErrors;
import dev.overlay.config.ConfigResult;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code overlay check --config FILE}: validates a config and prints the resolved view (tenants,
 * VNIs, peers, SAs without keys, effective tenant MTU). Exit 0 when valid, 2 with every error
 * listed otherwise; warnings go to stderr either way.
 */
@Command(name = "check", description = "Validate a config and print the resolved view (no key material).")
final class CheckCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The config file (YAML).")
    Path config;

    @Override
    public Integer call() {
        ConfigResult result = Configs.load(config);
        var err = spec.commandLine().getErr();
        err.print(ConfigErrors.format(result.warnings()));
        if (!result.ok()) {
            err.print(ConfigErrors.format(result.errors()));
            err.println("overlay: " + config + ": " + result.errors().size()
                    + (result.errors().size() == 1 ? " error" : " errors"));
            return ConfigErrors.EXIT_INVALID;
        }
        spec.commandLine().getOut().print(CheckReport.of(result).render());
        return 0;
    }
}
