package dev.overlay.pcap;

import dev.overlay.cli.CommandProvider;

/** Adds {@code demo} to the {@code overlay} command line; it replays the captures of test-pcaps/. */
public final class DemoCommandProvider implements CommandProvider {
    @Override
    public Object command() {
        return new DemoCommand();
    }
}
