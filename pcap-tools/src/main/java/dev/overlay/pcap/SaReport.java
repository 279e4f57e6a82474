package dev.overlay.pcap;

import dev.overlay.config.SaConfig;
import dev.overlay.datapath.SaTable;
import dev.overlay.esp.EspDrop;
import dev.overlay.esp.SaCounters;
import java.io.PrintWriter;
import java.util.List;

/**
 * The per-SA part of {@code pcap inspect}: for every SA of the config and of the SA files, as
 * configured (SPI, direction, peer, tenants, algorithm; an SA from a file has no direction or
 * tenants, and its peer is the source address the file gives) and as counted while the capture was read (packets opened,
 * their payload bytes, and every drop reason charged to that SA), as {@code ip -s xfrm state}
 * and VPP's {@code show ipsec sa} report them. Drops that no SA can own ({@code unknown-spi},
 * truncated packets) appear only in the drop table.
 */
final class SaReport {
    private SaReport() {
    }

    static void printTable(PrintWriter out, SaTable sas) {
        // Peer names fit in 12; a file's source address (an SA from --sa-file) may need more.
        int peer = Math.max(12, sas.inbounds().stream().mapToInt(sa -> sa.config().peer().length()).max().orElse(0));
        String format = "%-10s %-3s %-" + peer + "s %-16s %-17s %10s %12s  %s%n";
        out.printf(format, "SPI", "DIR", "PEER", "TENANTS", "ALGORITHM", "PACKETS", "BYTES", "DROPS");
        for (SaTable.Inbound sa : sas.inbounds()) {
            SaConfig c = sa.config();
            SaCounters counters = sa.state().counters();
            StringBuilder drops = new StringBuilder();
            for (EspDrop reason : EspDrop.values()) {
                long n = counters.drops(reason);
                if (n != 0) {
                    drops.append(drops.isEmpty() ? "" : ", ").append(reason.label()).append('=').append(n);
                }
            }
            out.printf(format, c.spiHex(), sa.bindsTenants() ? c.direction().configName() : "-", c.peer(),
                    sa.bindsTenants() ? String.join(",", c.tenants()) : "-", algorithm(c), counters.packets(),
                    counters.bytes(), drops.isEmpty() ? "-" : drops);
        }
        if (sas.inbounds().isEmpty()) {
            out.println("(no security associations)");
        }
    }

    /** A JSON array, one object per SA, drops keyed by reason label (only the non-zero ones). */
    static String json(SaTable sas) {
        StringBuilder sb = new StringBuilder("[");
        List<SaTable.Inbound> all = sas.inbounds();
        for (int i = 0; i < all.size(); i++) {
            SaTable.Inbound sa = all.get(i);
            SaConfig c = sa.config();
            SaCounters counters = sa.state().counters();
            sb.append(i == 0 ? "" : ",").append("{\"spi\":").append(Json.string(c.spiHex()))
                    .append(",\"direction\":").append(sa.bindsTenants() ? Json.string(c.direction().configName()) : "null")
                    .append(",\"peer\":").append(Json.string(c.peer()));
            if (!sa.bindsTenants()) {
                sb.append(",\"sa_file\":").append(Json.string(sa.external().origin()));
            }
            sb
                    .append(",\"tenants\":[");
            for (int t = 0; t < c.tenants().size(); t++) {
                sb.append(t == 0 ? "" : ",").append(Json.string(c.tenants().get(t)));
            }
            sb.append("],\"algorithm\":").append(Json.string(algorithm(c)))
                    .append(",\"mode\":").append(Json.string(c.mode().configName()))
                    .append(",\"packets\":").append(counters.packets())
                    .append(",\"bytes\":").append(counters.bytes())
                    .append(",\"drops\":{");
            boolean first = true;
            for (EspDrop reason : EspDrop.values()) {
                long n = counters.drops(reason);
                if (n != 0) {
                    sb.append(first ? "" : ",").append(Json.string(reason.label())).append(':').append(n);
                    first = false;
                }
            }
            sb.append("}}");
        }
        return sb.append(']').toString();
    }

    /** The config's name, with the integrity algorithm for CBC and NULL: {@code aes-cbc-256+hmac-sha256-128}. */
    private static String algorithm(SaConfig c) {
        return c.integrity() == null ? c.algorithm().configName()
                : c.algorithm().configName() + "+" + c.integrity().configName();
    }
}
