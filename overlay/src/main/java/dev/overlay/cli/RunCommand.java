package dev.overlay.cli;

import dev.overlay.config.OverlayConfig;
import dev.overlay.gateway.Gateway;
import dev.overlay.gateway.GatewaySignals;
import dev.overlay.gateway.port.PortException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code overlay run --config FILE}: the gateway in the foreground. An invalid config exits 2
 * with every error; a port or socket that cannot be opened exits 2 with one sentence, before
 * anything starts. SIGHUP reloads the file; SIGTERM and SIGINT stop gracefully and exit 0.
 */
@Command(name = "run", description = "Run the gateway in the foreground (SIGHUP reloads the config, SIGTERM/SIGINT stop it).")
final class RunCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The config file (YAML).")
    Path config;

    @Override
    public Integer call() throws InterruptedException {
        OverlayConfig loaded = Configs.loadOrFail(config);
        GatewaySignals.installLogFormat();
        Gateway gateway;
        try {
            gateway = Gateway.start(loaded);
        } catch (PortException e) {
            throw new UserException(UserException.USAGE, e.getMessage(), e);
        }
        GatewaySignals.install(gateway, config);
        gateway.awaitStopped();
        return 0;
    }
}
