package dev.overlay.config;

import dev.overlay.esp.EspAlgorithm;
import java.util.ArrayList;
import java.util.List;

/**
 * A tenant's effective MTU: the largest IP packet (the payload of the tenant's Ethernet frame)
 * whose outer datagram still fits the underlay MTU, so the underlay never fragments
 * ({@code underlay-fragmentation: df}); with {@code allow}, the underlay MTU itself, each
 * full-size packet then leaving as {@link #fragments} outer fragments of at most the underlay MTU.
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
 * @param unfragmented what fits the underlay MTU in one outer packet: {@code mtu} with df, the
 *     result of {@link #breakdown()} either way
 * @param fragmentationAllowed {@code underlay-fragmentation: allow}
 * @param outerLength the outer IP packet of a tenant packet of {@code mtu} bytes
 * @param fragments how many outer fragments that packet leaves as (1 with df)
 */
public record TenantMtu(int underlayMtu, int mtu, List<Part> parts, SaConfig sa, int unfragmented,
                        boolean fragmentationAllowed, int outerLength, int fragments) {

    public static final int IPV6_MIN_MTU = 1280;
    /**
     * The largest outer IP packet, reassembled, that a gateway reads (its 9216-byte receive slots,
     * room for 9000-byte jumbo frames): with {@code allow} a tenant MTU above what fits it is
     * never used, whatever the underlay MTU.
     */
    public static final int MAX_OUTER_PACKET = 9216;

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
        return sb.append(" = ").append(unfragmented).toString();
    }

    /** The MTU of {@code tenant} through {@code sa} ({@code null} for {@code security: none}). */
    public static TenantMtu of(GatewayConfig gateway, TenantConfig tenant, SaConfig sa) {
        return compute(gateway.underlayMtu(), gateway.ipv6(),
                gateway.espTransport() == GatewayConfig.EspTransport.UDP,
                sa == null ? null : sa.algorithm(), sa == null ? 0 : sa.icvLength(),
                sa != null && sa.mode() == SaConfig.Mode.TUNNEL, tenant.encapsulation(),
                tenant.geneveOptionsLength(), sa, gateway.fragmentationAllowed());
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
                    if (worst == null || m.mtu() < worst.mtu()
                            || (m.mtu() == worst.mtu() && m.unfragmented() < worst.unfragmented())) {
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
     * As {@link #compute(int, boolean, boolean, EspAlgorithm, int, boolean, TenantConfig.Encapsulation,
     * int, SaConfig)}; with {@code allow} the MTU is the underlay MTU, bounded by
     * {@link #MAX_OUTER_PACKET}.
     */
    static TenantMtu compute(int underlayMtu, boolean ipv6, boolean espInUdp, EspAlgorithm algorithm,
                             int icvLength, boolean tunnel, TenantConfig.Encapsulation encapsulation,
                             int geneveOptionBytes, SaConfig sa, boolean allow) {
        TenantMtu unfragmented = compute(underlayMtu, ipv6, espInUdp, algorithm, icvLength, tunnel, encapsulation,
                geneveOptionBytes, sa);
        if (!allow) {
            return unfragmented;
        }
        int readable = compute(MAX_OUTER_PACKET, ipv6, espInUdp, algorithm, icvLength, tunnel, encapsulation,
                geneveOptionBytes, sa).mtu();
        int mtu = Math.min(underlayMtu, readable);
        int outer = outerLength(mtu, ipv6, espInUdp, algorithm, icvLength, tunnel, encapsulation, geneveOptionBytes);
        return new TenantMtu(underlayMtu, mtu, unfragmented.parts(), sa, unfragmented.mtu(), true, outer,
                fragments(outer, underlayMtu, ipv6));
    }

    /**
     * The arithmetic alone, for outer packets that must not be fragmented.
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
            int mtu = underlayMtu - ipHeader - innerBytes;
            return new TenantMtu(underlayMtu, mtu, parts, null, mtu, false, underlayMtu, 1);
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
        return new TenantMtu(underlayMtu, mtu, parts, sa, mtu, false, fixed + padded, 1);
    }

    /** The outer IP packet that carries a tenant packet of {@code packet} bytes. */
    static int outerLength(int packet, boolean ipv6, boolean espInUdp, EspAlgorithm algorithm, int icvLength,
                           boolean tunnel, TenantConfig.Encapsulation encapsulation, int geneveOptionBytes) {
        int ipHeader = ipv6 ? 40 : 20;
        int inner = (algorithm != null && tunnel ? ipHeader : 0) + 8 + 8 + geneveOptionBytes + 14;
        if (algorithm == null) {
            return ipHeader + inner + packet;
        }
        int block = algorithm.blockSize();
        int padded = (inner + packet + 2 + block - 1) / block * block;
        return ipHeader + (espInUdp ? 8 : 0) + 8 + algorithm.ivLength() + padded + icvLength;
    }

    /**
     * How many fragments an outer packet of {@code outer} bytes becomes on a link of
     * {@code underlayMtu}: each fragment's data a multiple of 8 bytes (RFC 791; RFC 8200 section
     * 4.5, which adds the 8-byte fragment header).
     */
    static int fragments(int outer, int underlayMtu, boolean ipv6) {
        if (outer <= underlayMtu) {
            return 1;
        }
        int header = ipv6 ? 40 : 20;
        int perFragment = (underlayMtu - header - (ipv6 ? 8 : 0)) & ~7;
        return (outer - header + perFragment - 1) / perFragment;
    }
}
