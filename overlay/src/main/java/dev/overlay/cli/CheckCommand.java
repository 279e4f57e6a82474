package dev.overlay.cli;

import dev.overlay.config.CheckReport;
import dev.overlay.config.ConfigError;
import dev.overlay.config.ConfigErrors;
import dev.overlay.config.ConfigResult;
import dev.overlay.config.Purpose;
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
 *
 * <p>Valid means valid for every command, {@code run} included, as it always has: a script that
 * gates a deployment on {@code check} keeps its meaning. {@code --for COMMAND} validates for that
 * command alone (a file of inbound SAs is valid {@code --for decrypt}). Either way the report says
 * which commands the file is complete for, and what the others need.
 */
@Command(name = "check", description = "Validate a config and print the resolved view (no key material).")
final class CheckCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The config file (YAML).")
    Path config;

    @Option(names = "--json", description = "Print the resolved view as JSON.")
    boolean json;

    @Option(names = "--for", paramLabel = "COMMAND",
            description = "Validate for one command only: run (the default, which needs everything), encode, "
                    + "decode, decrypt, inspect, wireshark-keys.")
    String command;

    @Override
    public Integer call() {
        Purpose purpose = Purpose.RUN;
        if (command != null) {
            purpose = Purpose.of(command);
            if (purpose == null) {
                throw new UserException(UserException.USAGE, "--for " + command + ": not a command that reads a "
                        + "config (expected one of " + String.join(", ",
                        Purpose.ALL.stream().map(Purpose::commandName).toList()) + ")");
            }
        }
        ConfigResult result = Configs.load(config, purpose);
        var err = spec.commandLine().getErr();
        if (!result.ok()) {
            // Errors and warnings together, in line order; a valid config's report lists its warnings.
            List<ConfigError> all = new ArrayList<>(result.errors());
            all.addAll(result.warnings());
            all.sort(Comparator.comparingInt(ConfigError::line));
            err.print(ConfigErrors.format(all));
            if (!result.completeFor().isEmpty()) {
                // Only some commands are refused: say which ones the file serves as it is.
                err.println(CheckReport.completeFor(result));
            }
            err.println("overlay: " + config + ": " + result.errors().size()
                    + (result.errors().size() == 1 ? " error" : " errors")
                    + (command == null ? "" : " for " + purpose.commandName()));
            return ConfigErrors.EXIT_INVALID;
        }
        CheckReport report = CheckReport.of(result);
        spec.commandLine().getOut().print(json ? report.renderJson() : report.render());
        return 0;
    }
}
