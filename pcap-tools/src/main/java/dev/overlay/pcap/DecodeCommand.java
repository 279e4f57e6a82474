package dev.overlay.pcap;

import dev.overlay.cli.UserException;
import dev.overlay.config.Purpose;
import dev.overlay.datapath.DatapathDrop;
import dev.overlay.datapath.MssClamp;
import dev.overlay.datapath.OverlayDecap;
import dev.overlay.datapath.SaTable;
import dev.overlay.datapath.Tenant;
import dev.overlay.datapath.Topology;
import dev.overlay.vtep.Ethernet;
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
 * {@code overlay pcap decode}: wire packets in, tenant frames out, through the gateway's own rx
 * stages. Packets that are not overlay traffic are counted ({@code not-overlay}), never an error.
 *
 * <p>Keys from {@code --sa-file} name no tenant: a frame they open is written without the check
 * that its VNI is one the SA may carry, and without {@code --config} there are no tenants at
 * all, so every decapsulated frame is written. One line before the summary says how many frames
 * went out unchecked.
 */
@Command(name = "decode", description = "Wire packets in, tenant frames out.")
final class DecodeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    Options options;

    @Mixin
    KeySources keySources;

    @Option(names = "--out", required = true, paramLabel = "OUT", description = "Output capture (pcap).")
    Path out;

    @Option(names = "--tenant", paramLabel = "NAME",
            description = "Write only this tenant's frames; others are counted as other-tenant.")
    String tenantName;

    @Option(names = "--tag-vlan", description = "Tag each frame with its tenant's 802.1Q VLAN, when it has one.")
    boolean tagVlan;

    @Option(names = "--no-replay-check", description = "Accept ESP sequence numbers already seen (captures with duplicates).")
    boolean noReplayCheck;

    @Option(names = "--verify-checksums",
            description = "Drop packets whose outer UDP checksum is wrong (off by default: captures taken on a "
                    + "sending host carry checksums the NIC had not yet filled in).")
    boolean verifyChecksums;

    @Override
    public Integer call() {
        KeySources.Keys keys = keySources.load(options, Purpose.DECODE, spec.commandLine().getErr());
        Topology topology = keys.topology();
        Tenant only = Options.tenant(topology, tenantName, options.config);
        if (tagVlan && keys.keysOnly()) {
            throw new UserException(UserException.USAGE, "--tag-vlan needs --config: the VLANs are the tenants'");
        }
        SaTable sas = SaTable.of(topology, !noReplayCheck, keys.external());
        OverlayDecap decap = new OverlayDecap(topology, sas, verifyChecksums);
        OverlayDecap.Result result = new OverlayDecap.Result();
        Summary summary = new Summary();
        long[] unchecked = new long[1];
        summary.note = () -> keys.keysOnly()
                ? "decode: tenant check not applied: without --config there are no tenants, so all " + unchecked[0]
                        + " decapsulated frames were written"
                : unchecked[0] == 0 ? null
                : "decode: tenant check not applied to " + unchecked[0] + " frames opened with --sa-file SAs, "
                        + "which name no tenants";
        return Captures.rewrite(options, out, "decode", summary, spec.commandLine().getErr(), (packet, writer) -> {
            ByteBuf pkt = Unpooled.wrappedBuffer(packet.bytes());
            if (!decap.decapsulate(pkt, result, summary.drops)) {
                return;
            }
            if (only != null && result.tenant != only) {
                summary.drops.add(DatapathDrop.OTHER_TENANT);
                return;
            }
            if (!result.tenantChecked) {
                unchecked[0]++;
            }
            if (result.tenant != null && result.tenant.clampsMss()) {
                // What the gateway would deliver: its SYNs' MSS lowered as the tenant asks.
                MssClamp.clamp(pkt, result.tenant.mss4(), result.tenant.mss6());
            }
            if (tagVlan && result.tenant.config().vlan().isPresent()) {
                // The outer headers just removed leave room for the 4-byte tag.
                Ethernet.insertVlanTag(pkt, result.tenant.config().vlan().getAsInt());
            }
            writer.write(pkt, packet.epochSeconds(), packet.nanos());
            summary.out++;
        });
    }
}
