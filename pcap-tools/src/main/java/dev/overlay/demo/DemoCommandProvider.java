package dev.overlay.demo;

import dev.overlay.cli.CommandProvider;

/** Adds {@code demo} to the {@code overlay} command line. */
public final class DemoCommandProvider implements CommandProvider {
    @Override
    public Object command() {
        return new DemoCommand();
    }
}
