package dev.overlay.pcap;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code overlay pcap}: the offline tools over capture files. */
@Command(name = "pcap",
        description = "Offline tools over capture files (pcap and pcapng in, pcap out).",
        subcommands = {EncodeCommand.class, DecodeCommand.class, DecryptCommand.class, InspectCommand.class,
                WiresharkKeysCommand.class, CommandLine.HelpCommand.class})
final class PcapCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "pcap needs a subcommand: encode, decode, decrypt, inspect, wireshark-keys");
    }
}
