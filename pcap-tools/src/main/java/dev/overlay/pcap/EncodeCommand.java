package dev.overlay.pcap;

import dev.overlay.config.Purpose;
import dev.overlay.datapath.Buffers;
import dev.overlay.datapath.DatapathDrop;
import dev.overlay.datapath.OverlayEncap;
import dev.overlay.datapath.SaTable;
import dev.overlay.datapath.Tenant;
import dev.overlay.datapath.Topology;
import dev.overlay.datapath.TxPath;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code overlay pcap encode}: tenant frames in, wire packets out, through the gateway's own tx
 * stages (tenant selection, FDB lookup and flooding, encapsulation). Each wire packet carries the
 * timestamp of the frame it came from.
 */
@Command(name = "encode", description = "Tenant frames in, wire packets (VXLAN/Geneve, ESP) out.")
final class EncodeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    Options options;

    @Option(names = "--out", required = true, paramLabel = "OUT", description = "Output capture (pcap).")
    Path out;

    @Option(names = "--tenant", paramLabel = "NAME",
            description = "Every frame is this tenant's (default: the tenant of each frame's 802.1Q tag).")
    String tenantName;

    @Override
    public Integer call() {
        Topology topology = options.topology(Purpose.ENCODE, spec.commandLine().getErr());
        Tenant forced = Options.tenant(topology, tenantName, options.config);
        UnpooledByteBufAllocator alloc = UnpooledByteBufAllocator.DEFAULT;
        SaTable sas = SaTable.of(topology, true);
        TxPath tx = new TxPath(topology, new OverlayEncap(topology, sas), alloc);
        Summary summary = new Summary();
        return Captures.rewrite(options, out, "encode", summary, spec.commandLine().getErr(), (packet, writer) -> {
            ByteBuf frame = Buffers.frame(alloc, packet.bytes(), 0, packet.bytes().length);
            Tenant tenant = tx.selectTenant(frame, forced);
            if (tenant == null) {
                frame.release();
                summary.drops.add(DatapathDrop.NO_TENANT);
                return;
            }
            tx.forward(frame, tenant, (wire, t, peer) -> {
                try {
                    writer.write(wire, packet.epochSeconds(), packet.nanos());
                    summary.out++;
                } finally {
                    wire.release();
                }
            }, summary.drops);
        });
    }
}
