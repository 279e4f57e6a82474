package dev.overlay.pcap;

import dev.overlay.cli.CommandProvider;

/** Adds {@code pcap} to the {@code overlay} command line (pcap-tools sits above the CLI's module). */
public final class PcapCommandProvider implements CommandProvider {
    @Override
    public Object command() {
        return new PcapCommand();
    }
}
