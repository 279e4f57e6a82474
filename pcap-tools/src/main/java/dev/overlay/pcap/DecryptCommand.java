package dev.overlay.pcap;

import dev.overlay.config.Purpose;
import dev.overlay.datapath.SaTable;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code overlay pcap decrypt}: the capture with ESP removed and everything else as it was, so
 * that any tool reads the overlay in the clear (as {@code ip xfrm} would hand it to the stack).
 * ESP packets that cannot be opened (unknown SPI, replay, ICV) are dropped and counted by reason:
 * leaving them in would look like cleartext that failed to parse, and {@code --strict} can then
 * tell a script that something did not decrypt.
 */
@Command(name = "decrypt", mixinStandardHelpOptions = true,
        description = {"Remove ESP only: each ESP packet (ESP in UDP to esp-port, or IP protocol 50) is "
                + "replaced by its decrypted form, every other packet is copied unchanged.",
                "Transport mode: outer Ethernet and IP header, then the protected payload (the IP protocol "
                        + "or next header set to ESP's, lengths and IPv4 checksum rewritten; the UDP 4500 "
                        + "header of ESP in UDP removed).",
                "Tunnel mode: outer Ethernet, then the inner IP packet.",
                "ESP packets that fail (unknown SPI, replay, integrity, ...) are dropped and counted."})
final class DecryptCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    Options options;

    @Mixin
    KeySources keySources;

    @Option(names = "--out", required = true, paramLabel = "OUT", description = "Output capture (pcap).")
    Path out;

    @Option(names = "--no-replay-check", description = "Accept ESP sequence numbers already seen (captures with duplicates).")
    boolean noReplayCheck;

    @Override
    public Integer call() {
        KeySources.Keys keys = keySources.load(options, Purpose.DECRYPT, spec.commandLine().getErr());
        Summary summary = new Summary();
        try (SaTable sas = SaTable.of(keys.topology(), !noReplayCheck, keys.external())) {
            EspRemoval removal = new EspRemoval(keys.topology(), sas);
            return Captures.rewrite(options, out, "decrypt", summary, spec.commandLine().getErr(), (packet, writer) -> {
                ByteBuf pkt = Unpooled.wrappedBuffer(packet.bytes());
                switch (removal.decrypt(pkt, summary.drops)) {
                    case DECRYPTED -> writer.write(pkt, packet.epochSeconds(), packet.nanos());
                    // Opening ESP works in place, but only an ESP packet is touched.
                    case NOT_ESP -> writer.write(packet.bytes(), packet.epochSeconds(), packet.nanos());
                    case DROPPED -> {
                        return;
                    }
                }
                summary.out++;
            });
        }
    }
}
