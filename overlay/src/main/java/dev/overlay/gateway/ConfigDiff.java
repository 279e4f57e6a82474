package dev.overlay.gateway;

import dev.overlay.config.OverlayConfig;
import dev.overlay.config.SaConfig;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What a reload changes, as events for the log: tenants, peers and SAs added, removed or
 * changed. SAs are compared by their whole config, keys included (an SA whose key changed is a
 * new SA under the same SPI), and described by SPI, direction and peer only: never a key.
 */
final class ConfigDiff {
    /** One change: an event name and its key=value pairs. */
    record Change(String event, Object[] keyValues) {
        @Override
        public String toString() {
            return EventLog.line("-", event, keyValues).substring("gateway=- ".length());
        }
    }

    private ConfigDiff() {}

    static List<Change> of(OverlayConfig before, OverlayConfig after) {
        List<Change> out = new ArrayList<>();
        names(out, "peer", before.peers(), after.peers());
        names(out, "tenant", before.tenants(), after.tenants());
        Map<String, SaConfig> was = bySpi(before);
        Map<String, SaConfig> now = bySpi(after);
        for (var e : now.entrySet()) {
            SaConfig old = was.get(e.getKey());
            SaConfig sa = e.getValue();
            if (old == null) {
                out.add(new Change("sa-installed", sa(sa)));
            } else if (!old.equals(sa)) {
                out.add(new Change("sa-replaced", sa(sa)));
            }
        }
        for (var e : was.entrySet()) {
            if (!now.containsKey(e.getKey())) {
                out.add(new Change("sa-removed", sa(e.getValue())));
            }
        }
        return out;
    }

    /** The (direction, SPI) pairs of a config's SAs: the keys of SA ownership. */
    static Set<String> saKeys(OverlayConfig config) {
        return new HashSet<>(bySpi(config).keySet());
    }

    static String key(SaConfig.Direction direction, long spi) {
        return direction.configName() + ":" + spi;
    }

    private static Map<String, SaConfig> bySpi(OverlayConfig c) {
        Map<String, SaConfig> m = new LinkedHashMap<>();
        for (SaConfig sa : c.securityAssociations()) {
            m.put(key(sa.direction(), sa.spi()), sa);
        }
        return m;
    }

    private static Object[] sa(SaConfig sa) {
        return new Object[] {"spi", sa.spiHex(), "direction", sa.direction().configName(), "peer", sa.peer(),
                "tenants", String.join(",", sa.tenants())};
    }

    private static <T> void names(List<Change> out, String what, Map<String, T> before, Map<String, T> after) {
        for (var e : after.entrySet()) {
            T old = before.get(e.getKey());
            if (old == null) {
                out.add(new Change(what + "-added", new Object[] {what, e.getKey()}));
            } else if (!Objects.equals(old, e.getValue())) {
                out.add(new Change(what + "-changed", new Object[] {what, e.getKey()}));
            }
        }
        for (String name : before.keySet()) {
            if (!after.containsKey(name)) {
                out.add(new Change(what + "-removed", new Object[] {what, name}));
            }
        }
    }
}
