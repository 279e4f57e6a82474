package dev.overlay.pcap;

import dev.overlay.config.Purpose;
import dev.overlay.datapath.OverlayDecap;
import dev.overlay.datapath.SaTable;
import dev.overlay.datapath.Tenant;
import dev.overlay.datapath.Topology;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code overlay pcap inspect}: one table of what a wire capture holds, per tenant, VNI and SPI
 * (packets, wire bytes, inner frame bytes), per SA ({@link SaReport}), and every drop reason
 * with its count. The packets go through the same rx stages as {@code decode}; nothing is written.
 * Without {@code --config} (keys from {@code --sa-file} only) there are no tenants: rows are per
 * encapsulation, VNI and SPI, with tenant {@code -}.
 */
@Command(name = "inspect", description = "Per SPI / VNI / tenant counts and bytes, and every drop reason.")
final class InspectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    Options options;

    @Mixin
    KeySources keySources;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Option(names = "--no-replay-check", description = "Accept ESP sequence numbers already seen.")
    boolean noReplayCheck;

    @Option(names = "--verify-checksums", description = "Drop packets whose outer UDP checksum is wrong.")
    boolean verifyChecksums;

    /** One row: what arrived for one tenant under one SA (or in cleartext). */
    record Key(int tenantOrder, String tenant, String encapsulation, int vni, long spi) {}

    static final class Row {
        long packets;
        long wireBytes;
        long frameBytes;
    }

    @Override
    public Integer call() {
        KeySources.Keys keys = keySources.load(options, Purpose.INSPECT, spec.commandLine().getErr());
        Topology topology = keys.topology();
        List<String> order = new ArrayList<>(topology.tenants().keySet());
        SaTable sas = SaTable.of(topology, !noReplayCheck, keys.external());
        OverlayDecap decap = new OverlayDecap(topology, sas, verifyChecksums);
        OverlayDecap.Result result = new OverlayDecap.Result();
        Summary summary = new Summary();
        // A tenant has one encapsulation and VNI; without tenants those tell the rows apart.
        Map<Key, Row> rows = new TreeMap<>(Comparator.comparingInt(Key::tenantOrder).thenComparing(Key::encapsulation)
                .thenComparingInt(Key::vni).thenComparingLong(Key::spi));
        int status = Captures.read(options, "inspect", summary, spec.commandLine().getErr(), packet -> {
            ByteBuf pkt = Unpooled.wrappedBuffer(packet.bytes());
            if (!decap.decapsulate(pkt, result, summary.drops)) {
                return;
            }
            Tenant t = result.tenant;
            Key key = new Key(t == null ? -1 : order.indexOf(t.name()), t == null ? "-" : t.name(),
                    result.geneve ? "geneve" : "vxlan", result.vni, result.spi);
            Row row = rows.computeIfAbsent(key, k -> new Row());
            row.packets++;
            row.wireBytes += packet.bytes().length;
            row.frameBytes += pkt.readableBytes();
            summary.out++;
        });
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            printJson(out, rows, summary, sas);
        } else {
            printTable(out, rows, summary, sas);
        }
        out.flush();
        return status;
    }

    private static String spi(long spi) {
        return spi < 0 ? "-" : String.format("0x%08x", spi);
    }

    private static void printTable(PrintWriter out, Map<Key, Row> rows, Summary summary, SaTable sas) {
        String format = "%-16s %-8s %9s %-10s %10s %12s %12s%n";
        out.printf(format, "TENANT", "ENCAP", "VNI", "SPI", "PACKETS", "WIRE-BYTES", "FRAME-BYTES");
        rows.forEach((k, r) -> out.printf(format, k.tenant(), k.encapsulation(), k.vni(), spi(k.spi()),
                r.packets, r.wireBytes, r.frameBytes));
        if (rows.isEmpty()) {
            out.println("(no overlay packets)");
        }
        out.println();
        SaReport.printTable(out, sas);
        out.println();
        out.printf("%-24s %10s%n", "DROP REASON", "PACKETS");
        summary.drops.byLabel().forEach((label, count) -> out.printf("%-24s %10d%n", label, count));
        if (summary.drops.total() == 0) {
            out.println("(none)");
        }
        out.printf("%ntotal: packets in %d, decoded %d, dropped %d%n", summary.in, summary.out, summary.drops.total());
    }

    private static void printJson(PrintWriter out, Map<Key, Row> rows, Summary summary, SaTable sas) {
        StringBuilder sb = new StringBuilder();
        sb.append("{\"packets_in\":").append(summary.in)
                .append(",\"decoded\":").append(summary.out)
                .append(",\"dropped\":").append(summary.drops.total())
                .append(",\"flows\":[");
        boolean first = true;
        for (Map.Entry<Key, Row> e : rows.entrySet()) {
            Key k = e.getKey();
            Row r = e.getValue();
            sb.append(first ? "" : ",").append("{\"tenant\":").append(Json.string(k.tenant()))
                    .append(",\"encapsulation\":").append(Json.string(k.encapsulation()))
                    .append(",\"vni\":").append(k.vni())
                    .append(",\"spi\":").append(k.spi() < 0 ? "null" : Json.string(spi(k.spi())))
                    .append(",\"packets\":").append(r.packets)
                    .append(",\"wire_bytes\":").append(r.wireBytes)
                    .append(",\"frame_bytes\":").append(r.frameBytes).append('}');
            first = false;
        }
        sb.append("],\"security_associations\":").append(SaReport.json(sas));
        sb.append(",\"drops\":{");
        first = true;
        for (Map.Entry<String, Long> e : summary.drops.byLabel().entrySet()) {
            sb.append(first ? "" : ",").append(Json.string(e.getKey())).append(':').append(e.getValue());
            first = false;
        }
        sb.append("}}");
        out.println(sb);
    }
}
