package dev.overlay.pcap;

import dev.overlay.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs {@code bin/overlay} in-process through {@link Main#run}, as the launcher does, capturing both streams. */
record InProcessCli(int status, String out, String err) {

    static InProcessCli run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        return new InProcessCli(status, out.toString(), err.toString());
    }

    /** The last line on stderr: every pcap command ends with its summary there. */
    String summary() {
        String[] lines = err.strip().split("\n");
        return lines[lines.length - 1];
    }

    @Override
    public String toString() {
        return "exit " + status + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
}
