package dev.overlay.cli;

import dev.overlay.esp.transform.Aeads;
import java.io.PrintWriter;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bin/overlay}: the root command. Subcommands of this module are listed here; the others
 * arrive through {@link CommandProvider}. Errors end as one line on stderr and the exit status of
 * CONTRACT.md; {@code --debug} adds the stack trace.
 */
@Command(name = "overlay",
        mixinStandardHelpOptions = true,
        // Every subcommand inherits --help and --version, so `overlay pcap encode --help` answers
        // instead of complaining about the options it would need.
        scope = CommandLine.ScopeType.INHERIT,
        versionProvider = Main.Version.class,
        description = "Encrypted VXLAN/Geneve overlay gateway: ESP-protected tenant traffic, steered over cores by SPI.",
        subcommands = {CheckCommand.class, RunCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Callable<Integer> {

    @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT,
            description = "Print stack traces of failures.")
    boolean debug;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** {@code overlay} alone: the usage, and the exit status of bad usage. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return UserException.USAGE;
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs one command line and returns its exit status; the streams are parameters for tests. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        Main root = new Main();
        CommandLine cli = new CommandLine(root);
        for (CommandProvider provider : ServiceLoader.load(CommandProvider.class)) {
            cli.addSubcommand(provider.command());
        }
        cli.setOut(out);
        cli.setErr(err);
        cli.setParameterExceptionHandler((e, a) -> {
            CommandLine cmd = e.getCommandLine();
            cmd.getErr().println("overlay: " + e.getMessage());
            cmd.getErr().println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for usage.");
            return UserException.USAGE;
        });
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            boolean debug = root.debug;
            if (e instanceof UserException user) {
                cmd.getErr().println("overlay: " + user.getMessage());
                if (debug && user.getCause() != null) {
                    user.getCause().printStackTrace(cmd.getErr());
                }
                return user.exitCode();
            }
            cmd.getErr().println("overlay: internal error: " + e
                    + (debug ? "" : " (run with --debug for the stack trace, and please report it)"));
            if (debug) {
                e.printStackTrace(cmd.getErr());
            }
            return 70; // EX_SOFTWARE (sysexits.h): a bug, not bad input
        });
        int status = cli.execute(args);
        out.flush();
        err.flush();
        return status;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Main.class.getPackage().getImplementationVersion();
            return new String[] {"overlay " + (version == null ? "(development build)" : version)
                    + " on Java " + Runtime.version(),
                    "aes-gcm: " + Aeads.gcmImplementation()};
        }
    }
}
