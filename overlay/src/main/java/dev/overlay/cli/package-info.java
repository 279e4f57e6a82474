/**
 * The {@code overlay} command line: the root command, the subcommands of this module
 * ({@code check}, and {@code run} once the gateway exists), and the {@link dev.overlay.cli.CommandProvider}
 * service through which modules above this one (pcap-tools) add theirs. Users see one sentence and
 * an exit status (CONTRACT.md: 0 success, 1 unreadable input, 2 bad usage or invalid config,
 * 3 drops under {@code --strict}), never a stack trace unless they ask with {@code --debug}.
 */
package dev.overlay.cli;
