package dev.overlay.cli;

/**
 * A subcommand contributed by a module that the CLI cannot depend on (pcap-tools sits above
 * overlay in the module graph). Listed in {@code META-INF/services/dev.overlay.cli.CommandProvider}
 * and found with {@link java.util.ServiceLoader} when the command line is built.
 */
public interface CommandProvider {
    /** A new picocli command object ({@code @Command}-annotated). */
    Object command();
}
