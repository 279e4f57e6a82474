package dev.overlay.config;

import dev.overlay.esp.EspAlgorithm;
import java.util.ArrayList;
import java.util.List;

/**
 * A tenant's effective MTU: the largest IP packet (the payload of the tenant's Ethernet frame)
 * whose outer datagram still fits the underlay MTU, so the underlay never fragments.
 *
 * <pre>
 * outer IP | [UDP 4500, RFC 3948] | ESP 8 | IV | [inner IP, tunnel mode] | UDP 8 | VXLAN 8 or
 *   Geneve 8 + options | Ethernet 14 | payload | pad | pad length 1 | next header 1 | ICV
 * </pre>
 *
 * RFC 4303 section 2.4: the padded plaintext (everything after the IV up to and including the
 * next header byte) is a multiple of the cipher block, and at least of 4 so the ICV is aligned.
 * The VLAN tag is not counted: it is removed before encapsulation.
 *
 * @param mtu the payload limit
 * @param parts the overheads subtracted from the underlay MTU, in wire order
 * @param sa the SA this was computed for, or {@code null} for a cleartext tenant
 */
public record TenantMtu(int underlayMtu, int mtu, List<Part> parts, SaConfig sa) {

    public static final int IPV6_MIN_MTU = 1280;

    /** One overhead: {@code bytes} of {@code label}. */
    public record Part(String label, int bytes) {
    }

    public TenantMtu {
        parts = List.copyOf(parts);
    }

    /** {@code 1500 - 20 ipv4 - 8 udp-encap - ... = 1408}. */
    public String breakdown() {
        StringBuilder sb = new StringBuilder().append(underlayMtu);
        for (Part p : parts) {
            sb.append(" - ").append(p.bytes()).append(' ').append(p.label());
        }
        return sb.append(" = ").append(mtu).toString();
    }

    /** The MTU of {@code tenant} through {@code sa} ({@code null} for {@code security: none}). */
    public static TenantMtu of(GatewayConfig gateway, TenantConfig tenant, SaConfig sa) {
        return compute(gateway.underlayMtu(), gateway.ipv6(),
                gateway.espTransport() == GatewayConfig.EspTransport.UDP,
                sa == null ? null : sa.algorithm(), sa == null ? 0 : sa.icvLength(),
                sa != null && sa.mode() == SaConfig.Mode.TUNNEL, tenant.encapsulation(),
                tenant.geneveOptionsLength(), sa);
    }

    /**
     * The smallest MTU over the tenant's out SAs (they limit what this gateway can send), or
     * its in SAs if it has no out SA; the cleartext MTU for {@code security: none}.
     */
    public static TenantMtu worstCase(GatewayConfig gateway, TenantConfig tenant, List<SaConfig> sas) {
        if (tenant.security() == TenantConfig.Security.NONE) {
            return of(gateway, tenant, null);
        }
        TenantMtu worst = null;
        for (SaConfig.Direction d : List.of(SaConfig.Direction.OUT, SaConfig.Direction.IN)) {
            for (SaConfig sa : sas) {
                if (sa.direction() == d && sa.tenants().contains(tenant.name())) {
                    TenantMtu m = of(gateway, tenant, sa);
                    if (worst == null || m.mtu() < worst.mtu()) {
                        worst = m;
                    }
                }
            }
            if (worst != null) {
                return worst;
            }
        }
        if (gateway.cluster().isPresent()) {
            // Cluster mode derives this tenant's SAs at run time, each of the cluster's algorithm.
            EspAlgorithm derived = gateway.cluster().get().algorithm();
            return compute(gateway.underlayMtu(), gateway.ipv6(), gateway.espTransport() == GatewayConfig.EspTransport.UDP,
                    derived, 16, false, tenant.encapsulation(), tenant.geneveOptionsLength(), null);
        }
        return of(gateway, tenant, null);
    }

    /**
     * The arithmetic alone.
     *
     * @param algorithm {@code null} for no ESP
     * @param icvLength ICV bytes per packet (0 for none)
     */
    static TenantMtu compute(int underlayMtu, boolean ipv6, boolean espInUdp, EspAlgorithm algorithm,
                             int icvLength, boolean tunnel, TenantConfig.Encapsulation encapsulation,
                             int geneveOptionBytes, SaConfig sa) {
        int ipHeader = ipv6 ? 40 : 20;
        String ip = ipv6 ? "ipv6" : "ipv4";
        List<Part> parts = new ArrayList<>();
        parts.add(new Part(ip, ipHeader));
        List<Part> inner = new ArrayList<>();
        if (algorithm != null && tunnel) {
            inner.add(new Part("inner-" + ip, ipHeader));
        }
        inner.add(new Part("udp", 8));
        boolean vxlan = encapsulation == TenantConfig.Encapsulation.VXLAN;
        inner.add(new Part(vxlan ? "vxlan" : "geneve", 8));
        if (geneveOptionBytes > 0) {
            inner.add(new Part("geneve-options", geneveOptionBytes));
        }
        inner.add(new Part("eth", 14));
        int innerBytes = inner.stream().mapToInt(Part::bytes).sum();
        if (algorithm == null) {
            parts.addAll(inner);
            return new TenantMtu(underlayMtu, underlayMtu - ipHeader - innerBytes, parts, null);
        }
        if (espInUdp) {
            parts.add(new Part("udp-encap", 8));
        }
        parts.add(new Part("esp", 8));
        if (algorithm.ivLength() > 0) {
            parts.add(new Part("iv", algorithm.ivLength()));
        }
        int fixed = ipHeader + (espInUdp ? 8 : 0) + 8 + algorithm.ivLength() + icvLength;
        int block = algorithm.blockSize();
        // The padded plaintext: the largest multiple of the block that fits what is left.
        int padded = Math.floorDiv(underlayMtu - fixed, block) * block;
        int align = underlayMtu - fixed - padded;
        parts.addAll(inner);
        parts.add(new Part("esp-trailer", 2));
        if (align > 0) {
            parts.add(new Part("block-align", align));
        }
        if (icvLength > 0) {
            parts.add(new Part("icv", icvLength));
        }
        int mtu = padded - 2 - innerBytes;
        return new TenantMtu(underlayMtu, mtu, parts, sa);
    }
}
