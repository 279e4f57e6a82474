package dev.overlay.config;

import dev.overlay.vtep.GeneveOption;
import dev.overlay.vtep.GeneveOptions;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * One entry of {@code tenants}: an isolated Ethernet segment carried under one VNI.
 *
 * @param vni the 24-bit VXLAN or Geneve network identifier (RFC 7348 section 5, RFC 8926
 *     section 3.4); 0 is refused so that an unset field on the wire never matches a tenant
 * @param vlan the 802.1Q tag of this tenant on tagged captures and trunk ports, if any
 * @param peers the peers frames are flooded to, in the order the config lists them
 * @param mssClamp whether TCP SYNs crossing this tenant's overlay have their MSS lowered
 */
public record TenantConfig(
        String name,
        int vni,
        Encapsulation encapsulation,
        OptionalInt vlan,
        Security security,
        List<String> peers,
        List<FdbEntryConfig> fdb,
        List<GeneveOption> geneveOptions,
        List<PortConfig> ports,
        MssClampConfig mssClamp) {

    public static final int MAX_VNI = 0xFF_FFFF;

    public enum Encapsulation {
        /** RFC 7348: 8-byte header, UDP {@code vxlan-port}. */
        VXLAN,
        /** RFC 8926: 8-byte header plus options, UDP {@code geneve-port}. */
        GENEVE;

        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public enum Security {
        /** Every outer datagram is protected by an ESP SA. */
        ESP,
        /** Cleartext overlay: only when the config says so. */
        NONE;

        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public TenantConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(encapsulation, "encapsulation");
        Objects.requireNonNull(vlan, "vlan");
        Objects.requireNonNull(security, "security");
        Objects.requireNonNull(mssClamp, "mssClamp");
        if (vni < 1 || vni > MAX_VNI) {
            throw new IllegalArgumentException("vni: " + vni + " (expected: 1..16777215)");
        }
        if (vlan.isPresent() && (vlan.getAsInt() < 1 || vlan.getAsInt() > 4094)) {
            throw new IllegalArgumentException("vlan: " + vlan.getAsInt() + " (expected: 1..4094)");
        }
        peers = List.copyOf(peers);
        fdb = List.copyOf(fdb);
        geneveOptions = List.copyOf(geneveOptions);
        ports = List.copyOf(ports);
        if (!geneveOptions.isEmpty() && encapsulation != Encapsulation.GENEVE) {
            throw new IllegalArgumentException("geneveOptions: only with GENEVE encapsulation");
        }
        if (geneveOptionsLength(geneveOptions) > GeneveOptions.MAX_LENGTH) {
            throw new IllegalArgumentException("geneveOptions: " + geneveOptionsLength(geneveOptions)
                    + " bytes (expected: <= 252)");
        }
    }

    /** With {@code mss-clamp: off}, the default. */
    public TenantConfig(String name, int vni, Encapsulation encapsulation, OptionalInt vlan, Security security,
                        List<String> peers, List<FdbEntryConfig> fdb, List<GeneveOption> geneveOptions,
                        List<PortConfig> ports) {
        this(name, vni, encapsulation, vlan, security, peers, fdb, geneveOptions, ports, MssClampConfig.OFF);
    }

    /** Bytes of Geneve options in every packet of this tenant (0 for VXLAN). */
    public int geneveOptionsLength() {
        return geneveOptionsLength(geneveOptions);
    }

    private static int geneveOptionsLength(List<GeneveOption> options) {
        int n = 0;
        for (GeneveOption o : options) {
            n += o.encodedLength();
        }
        return n;
    }
}
