package dev.overlay.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A loaded, validated config file. Every cross reference holds: each tenant's peers and fdb
 * peers exist, VNIs and VLANs are unique, each SA's peer and tenants exist and agree, and, when
 * loaded for a use that sends ({@link Purpose#SENDING}), each ESP tenant has an outbound SA to
 * each of its peers.
 *
 * @param source the file it was loaded from
 * @param peers by name, in file order
 * @param tenants by name, in file order
 * @param securityAssociations in file order
 * @param locations the line of each key, for errors found after loading
 */
public record OverlayConfig(
        Path source,
        GatewayConfig gateway,
        Map<String, PeerConfig> peers,
        Map<String, TenantConfig> tenants,
        List<SaConfig> securityAssociations,
        Locations locations) {

    public OverlayConfig {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(gateway, "gateway");
        Objects.requireNonNull(locations, "locations");
        peers = Collections.unmodifiableMap(new LinkedHashMap<>(peers));
        tenants = Collections.unmodifiableMap(new LinkedHashMap<>(tenants));
        securityAssociations = List.copyOf(securityAssociations);
    }

    /**
     * No config: what the offline readers work with when given only SA files. A gateway with the
     * default ports and the unspecified address 0.0.0.0 (never a packet's destination, so nothing
     * is taken as addressed to it), and no peer, tenant or SA.
     *
     * @param source the file to name in messages (the first SA file)
     */
    public static OverlayConfig keysOnly(Path source) {
        GatewayConfig gateway = new GatewayConfig("-", java.net.InetAddress.ofLiteral("0.0.0.0"), Optional.empty(),
                GatewayConfig.EspTransport.UDP, GatewayConfig.DEFAULT_ESP_PORT, GatewayConfig.DEFAULT_VXLAN_PORT,
                GatewayConfig.DEFAULT_GENEVE_PORT, GatewayConfig.DEFAULT_UNDERLAY_MTU, 1, GatewayConfig.Steering.SPI,
                Optional.empty());
        return new OverlayConfig(source, gateway, Map.of(), Map.of(), List.of(), new Locations(source, Map.of()));
    }

    /** The SAs of {@code direction} that may carry {@code tenant}, in file order. */
    public List<SaConfig> sas(String tenant, SaConfig.Direction direction) {
        List<SaConfig> out = new ArrayList<>();
        for (SaConfig sa : securityAssociations) {
            if (sa.direction() == direction && sa.tenants().contains(tenant)) {
                out.add(sa);
            }
        }
        return out;
    }

    /** The outbound SAs for {@code tenant} to {@code peer}: several spread flows (RFC 9611). */
    public List<SaConfig> outboundSas(String tenant, String peer) {
        List<SaConfig> out = new ArrayList<>();
        for (SaConfig sa : sas(tenant, SaConfig.Direction.OUT)) {
            if (sa.peer().equals(peer)) {
                out.add(sa);
            }
        }
        return out;
    }

    public Optional<TenantConfig> tenantByVni(int vni) {
        return tenants.values().stream().filter(t -> t.vni() == vni).findFirst();
    }

    public Optional<TenantConfig> tenantByVlan(int vlan) {
        return tenants.values().stream()
                .filter(t -> t.vlan().isPresent() && t.vlan().getAsInt() == vlan).findFirst();
    }
}
