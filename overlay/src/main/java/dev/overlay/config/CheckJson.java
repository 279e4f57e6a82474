package dev.overlay.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code check --json}: the same resolved view as {@link CheckReport}, for scripts. Keys are the
 * config's own key names; SPIs are strings in the {@code 0x%08x} form so that jq users need not
 * convert; no key material, as in the text report.
 */
final class CheckJson {

    private final StringBuilder sb = new StringBuilder();

    private CheckJson() {
    }

    static String render(OverlayConfig c, List<ConfigError> warnings, Set<Purpose> completeFor) {
        CheckJson j = new CheckJson();
        GatewayConfig g = c.gateway();
        j.sb.append("{\"config\":").append(str(c.source().toString())).append(",\"valid\":true,\"complete_for\":[")
                .append(completeFor.stream().map(p -> str(p.commandName())).collect(Collectors.joining(",")))
                .append("],\"gateway\":{");
        j.field("name", str(g.name())).field("address", str(CheckReport.address(g.address())))
                .field("mac", g.mac().map(m -> str(m.toString())).orElse("null"))
                .field("esp-transport", str(g.espTransport().configName())).field("esp-port", g.espPort())
                .field("vxlan-port", g.vxlanPort()).field("geneve-port", g.genevePort())
                .field("underlay-mtu", g.underlayMtu())
                .field("underlay-fragmentation", str(g.underlayFragmentation().configName()))
                .field("workers", g.workers())
                .field("pin-workers", g.pinWorkers())
                .field("steering", str(g.steering().configName()))
                .field("state-dir", g.stateDir().map(d -> str(d.toString())).orElse("null"))
                .field("cluster", g.cluster().map(cl -> str(CheckReport.cluster(cl))).orElse("null"))
                .last("metrics", g.metrics().map(m -> str(CheckReport.hostPort(m))).orElse("null"));
        j.sb.append("},\"peers\":[");
        List<String> items = new ArrayList<>();
        for (PeerConfig p : c.peers().values()) {
            items.add("{\"name\":" + str(p.name()) + ",\"address\":" + str(CheckReport.address(p.address()))
                    + ",\"mac\":" + p.mac().map(m -> str(m.toString())).orElse("null") + "}");
        }
        j.sb.append(String.join(",", items)).append("],\"tenants\":[");
        items.clear();
        for (TenantConfig t : c.tenants().values()) {
            items.add(tenant(c, t));
        }
        j.sb.append(String.join(",", items)).append("],\"warnings\":[");
        items.clear();
        for (ConfigError w : warnings) {
            items.add("{\"line\":" + w.line() + ",\"path\":" + str(w.keyPath()) + ",\"message\":" + str(w.message()) + "}");
        }
        return j.sb.append(String.join(",", items)).append("]}\n").toString();
    }

    private static String tenant(OverlayConfig c, TenantConfig t) {
        TenantMtu mtu = TenantMtu.worstCase(c.gateway(), t, c.securityAssociations());
        List<String> sas = new ArrayList<>();
        for (SaConfig.Direction d : List.of(SaConfig.Direction.OUT, SaConfig.Direction.IN)) {
            for (SaConfig sa : c.sas(t.name(), d)) {
                sas.add("{\"spi\":" + str(sa.spiHex()) + ",\"direction\":" + str(d.configName())
                        + ",\"peer\":" + str(sa.peer()) + ",\"algorithm\":" + str(sa.algorithm().configName())
                        + ",\"icv-length\":" + sa.icvLength()
                        + ",\"integrity\":" + (sa.integrity() == null ? "null" : str(sa.integrity().configName()))
                        + ",\"mode\":" + str(sa.mode().configName()) + ",\"esn\":" + sa.esn()
                        + ",\"initial-sequence\":" + str(Long.toUnsignedString(sa.initialSequence()))
                        + ",\"replay-window\":" + sa.replayWindow()
                        + ",\"lifetime\":{\"packets\":" + sa.lifetime().packets() + ",\"bytes\":" + sa.lifetime().bytes()
                        + ",\"seconds\":" + sa.lifetime().seconds() + "}}");
            }
        }
        return "{\"name\":" + str(t.name()) + ",\"vni\":" + t.vni()
                + ",\"encapsulation\":" + str(t.encapsulation().configName())
                + ",\"vlan\":" + (t.vlan().isPresent() ? String.valueOf(t.vlan().getAsInt()) : "null")
                + ",\"security\":" + str(t.security().configName())
                + ",\"peers\":[" + String.join(",", t.peers().stream().map(CheckJson::str).toList()) + "]"
                + ",\"mtu\":" + mtu.mtu() + ",\"mtu-breakdown\":" + str(mtu.breakdown())
                + ",\"mtu-unfragmented\":" + mtu.unfragmented() + ",\"outer-packet\":" + mtu.outerLength()
                + ",\"outer-fragments\":" + mtu.fragments()
                + ",\"larger-frames\":" + str(CheckReport.largerFrames(mtu.mtu()))
                + ",\"mss-clamp\":{\"mode\":" + str(t.mssClamp().configName())
                + ",\"ipv4\":" + (t.mssClamp().on() ? t.mssClamp().ipv4(mtu.mtu()) : "null")
                + ",\"ipv6\":" + (t.mssClamp().on() ? t.mssClamp().ipv6(mtu.mtu()) : "null") + "}"
                + ",\"security-associations\":[" + String.join(",", sas) + "]}";
    }

    private CheckJson field(String name, Object value) {
        sb.append(str(name)).append(':').append(value).append(',');
        return this;
    }

    private void last(String name, Object value) {
        sb.append(str(name)).append(':').append(value);
    }

    /** A JSON string literal (RFC 8259 section 7). */
    static String str(String s) {
        StringBuilder out = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                case '\r' -> out.append("\\r");
                default -> {
                    if (ch < 0x20) {
                        out.append(String.format("\\u%04x", (int) ch));
                    } else {
                        out.append(ch);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
