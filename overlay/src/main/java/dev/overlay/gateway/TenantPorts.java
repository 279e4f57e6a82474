package dev.overlay.gateway;

import dev.overlay.config.OverlayConfig;
import dev.overlay.config.PortConfig;
import dev.overlay.config.TenantConfig;
import dev.overlay.gateway.Gateway.PortOpener;
import dev.overlay.gateway.port.PortException;
import dev.overlay.gateway.port.TenantPort;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * A gateway's open tenant ports, keyed by tenant and port config so that a reload keeps a port
 * whose config is unchanged (its readers and its counters). Ports open through the
 * {@link PortOpener} of {@link Gateway.Options}: {@link PortOpener#SYSTEM} in production,
 * in-memory ports in tests. The map is guarded by this object: the metrics endpoint reads it
 * while a reload changes it.
 */
final class TenantPorts {
    record Key(String tenant, PortConfig config) {}

    private final PortOpener opener;
    private final ByteBufAllocator alloc;
    private final EventLoopGroup group;
    /** In the config's order, so logs and {@link #byTenant()} list ports as the file does. */
    private final Map<Key, TenantPort> ports = new LinkedHashMap<>();

    @Inject
    TenantPorts(PortOpener opener, ByteBufAllocator alloc, EventLoopGroup group) {
        this.opener = opener;
        this.alloc = alloc;
        this.group = group;
    }

    /** Opens every port of {@code config}; those opened before a failure stay here for {@link #closeAll()}. */
    synchronized void openAll(OverlayConfig config) throws PortException {
        for (TenantConfig t : config.tenants().values()) {
            for (PortConfig p : t.ports()) {
                ports.put(new Key(t.name(), p), opener.open(t.name(), p, alloc, group));
            }
        }
    }

    /**
     * Opens the ports {@code next} has and this set lacks, without adding them yet (a reload
     * opens before anything switches); on failure closes what it opened and rethrows.
     */
    synchronized Map<Key, TenantPort> openMissing(OverlayConfig next) throws PortException {
        Map<Key, TenantPort> opened = new LinkedHashMap<>();
        try {
            for (TenantConfig t : next.tenants().values()) {
                for (PortConfig p : t.ports()) {
                    Key k = new Key(t.name(), p);
                    if (!ports.containsKey(k)) {
                        opened.put(k, opener.open(t.name(), p, alloc, group));
                    }
                }
            }
        } catch (PortException e) {
            opened.values().forEach(TenantPort::close);
            throw e;
        }
        return opened;
    }

    /** Adds {@code opened} and removes the ports {@code next} no longer has; returns those removed, still open. */
    synchronized List<TenantPort> swap(OverlayConfig next, Map<Key, TenantPort> opened) {
        List<TenantPort> removed = new ArrayList<>();
        ports.entrySet().removeIf(e -> {
            TenantConfig t = next.tenants().get(e.getKey().tenant());
            boolean gone = t == null || !t.ports().contains(e.getKey().config());
            if (gone) {
                removed.add(e.getValue());
            }
            return gone;
        });
        ports.putAll(opened);
        return removed;
    }

    synchronized Map<String, List<TenantPort>> byTenant() {
        Map<String, List<TenantPort>> m = new LinkedHashMap<>();
        ports.forEach((k, p) -> m.computeIfAbsent(k.tenant(), x -> new ArrayList<>()).add(p));
        return m;
    }

    /** By port name, for {@link StatsReader}. */
    synchronized Map<String, TenantPort> byName() {
        Map<String, TenantPort> m = new LinkedHashMap<>();
        ports.forEach((k, p) -> m.put(p.name(), p));
        return m;
    }

    synchronized void forEach(BiConsumer<Key, TenantPort> action) {
        ports.forEach(action);
    }

    /** Closes every port; the set keeps them (their final counters stay readable). */
    void closeAll() {
        List<TenantPort> all;
        synchronized (this) {
            all = new ArrayList<>(ports.values());
        }
        all.forEach(TenantPort::close);
    }
}
