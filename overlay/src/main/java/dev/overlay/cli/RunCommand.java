package dev.overlay.cli;

import dev.overlay.cluster.ClusterAgent;
import dev.overlay.config.OverlayConfig;
import dev.overlay.gateway.Gateway;
import dev.overlay.gateway.GatewaySignals;
import dev.overlay.gateway.WorkerSpin;
import dev.overlay.gateway.port.PortException;
import io.netty.util.ResourceLeakDetector;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code overlay run --config FILE}: the gateway in the foreground. An invalid config exits 2
 * with every error; a port or socket that cannot be opened exits 2 with one sentence, before
 * anything starts. SIGHUP reloads the file; SIGTERM and SIGINT stop gracefully and exit 0. With
 * {@code gateway.cluster} a {@link ClusterAgent} joins the overlay in etcd beside the gateway.
 */
@Command(name = "run", description = "Run the gateway in the foreground (SIGHUP reloads the config, SIGTERM/SIGINT stop it).")
final class RunCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The config file (YAML).")
    Path config;

    @Override
    public Integer call() throws InterruptedException {
        OverlayConfig loaded = Configs.loadOrFail(config);
        GatewaySignals.installLogFormat();
        leakDetectionOffUnlessAsked();
        try {
            WorkerSpin.checkProperty();
        } catch (IllegalArgumentException e) {
            throw new UserException(UserException.USAGE, e.getMessage(), e);
        }
        Gateway gateway;
        try {
            gateway = Gateway.start(loaded);
        } catch (PortException e) {
            throw new UserException(UserException.USAGE, e.getMessage(), e);
        }
        if (loaded.gateway().cluster().isPresent()) {
            ClusterAgent agent;
            try {
                agent = ClusterAgent.start(gateway, loaded);
            } catch (IllegalArgumentException e) {
                gateway.close();
                throw new UserException(UserException.USAGE, e.getMessage(), e);
            }
            // SIGHUP re-reads the file and merges it with what etcd says; a stop leaves the
            // cluster first, so the other gateways drop this one at once rather than at lease expiry.
            GatewaySignals.install(gateway.name(), () -> agent.reload(config), () -> {
                agent.close();
                gateway.close();
            });
        } else {
            GatewaySignals.install(gateway, config);
        }
        gateway.awaitStopped();
        return 0;
    }

    /**
     * Netty's default leak detection (SIMPLE) tracks one buffer in 128 and records a stack trace
     * when a tracked composite is released: in the TCP 1-stream profile those traces were 2.1% of
     * all CPU, spent on nothing a running gateway acts on. The gateway's tests run with detection
     * on (paranoid where they count leaks); here it is off unless the user asks for it with
     * {@code -Dio.netty.leakDetection.level=simple|advanced|paranoid} in OVERLAY_JAVA_OPTS.
     */
    static void leakDetectionOffUnlessAsked() {
        if (System.getProperty("io.netty.leakDetection.level") == null
                && System.getProperty("io.netty.leakDetectionLevel") == null) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
    }
}
