package dev.overlay.datapath.bench;

import dev.overlay.config.ConfigLoader;
import dev.overlay.config.OverlayConfig;
import dev.overlay.datapath.Buffers;
import dev.overlay.datapath.DropCounts;
import dev.overlay.datapath.OverlayEncap;
import dev.overlay.datapath.SaTable;
import dev.overlay.datapath.Tenant;
import dev.overlay.datapath.Topology;
import dev.overlay.esp.EspDecrypt;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The traffic of {@link SteeredPipelineBenchmark}: two gateways' configs with eight AES-GCM-256
 * SAs from gw-b to gw-a (four per tenant, per-resource SAs in the sense of RFC 9611), and a ring
 * of wire packets that gw-b's own {@link OverlayEncap} sealed, equally many per SPI.
 *
 * <p>The receiving SAs have {@code replay-window: 0} (replay checking off, as the config allows):
 * the benchmark opens the same sequence numbers over and over, which a window would refuse.
 * Everything else on the receive path runs as configured.
 */
final class PipelinePackets {
    static final int SAS = 8;
    static final int FRAME_LENGTH = 1400;
    private static final String[] TENANTS = {"blue", "red"};

    private PipelinePackets() {
    }

    /** gw-a's config: the eight SAs inbound. */
    static OverlayConfig receiver() {
        return parse("gw-a", "127.0.0.1", "gw-b", "127.0.0.2", "in");
    }

    /** gw-b's config, the mirror: the same SAs outbound toward gw-a. */
    static OverlayConfig sender() {
        return parse("gw-b", "127.0.0.2", "gw-a", "127.0.0.1", "out");
    }

    static int spi(int sa) {
        return 0x3001 + sa;
    }

    private static OverlayConfig parse(String name, String address, String peer, String peerAddress, String direction) {
        StringBuilder yaml = new StringBuilder();
        yaml.append("gateway: { name: ").append(name).append(", address: ").append(address)
                .append(", esp-transport: udp, workers: 2, steering: spi }\n");
        yaml.append("peers:\n  ").append(peer).append(": { address: ").append(peerAddress).append(" }\n");
        yaml.append("tenants:\n");
        yaml.append("  blue: { vni: 1001, encapsulation: vxlan, peers: [").append(peer).append("] }\n");
        yaml.append("  red: { vni: 1002, encapsulation: geneve, peers: [").append(peer).append("] }\n");
        yaml.append("security-associations:\n");
        // The measured SAs, gw-b to gw-a (0x3001...), and a mirror set gw-a to gw-b (0x4001...),
        // since a config must be able to send every tenant's traffic to each of its peers.
        String reverse = direction.equals("in") ? "out" : "in";
        for (int sa = 0; sa < SAS; sa++) {
            sa(yaml, spi(sa), direction, peer, sa);
            sa(yaml, spi(sa) + 0x1000, reverse, peer, sa + SAS);
        }
        return ConfigLoader.parse(Path.of("bench-" + name + ".yaml"), yaml.toString()).orThrow();
    }

    private static void sa(StringBuilder yaml, int spi, String direction, String peer, int sa) {
        yaml.append("  - { spi: 0x").append(Integer.toHexString(spi)).append(", direction: ").append(direction)
                .append(", peer: ").append(peer).append(", tenants: [").append(TENANTS[sa % 2])
                .append("], algorithm: aes-gcm-256, icv-length: 16, key: \"").append(key(sa)).append('"');
        if (direction.equals("in")) {
            yaml.append(", replay-window: 0");
        }
        yaml.append(" }\n");
    }

    /** A benchmark-only key: 32 bytes of AES-256 key then 4 bytes of salt, different per SA. */
    private static String key(int sa) {
        StringBuilder hex = new StringBuilder("0x");
        for (int i = 0; i < 36; i++) {
            hex.append(String.format("%02x", (sa * 73 + i * 29 + 11) & 0xFF));
        }
        return hex.toString();
    }

    /**
     * {@code perSa} wire packets for each of the eight SPIs, interleaved SA by SA, as unpooled
     * direct buffers that are never modified (the benchmark copies each into a receive buffer).
     * Inner flows differ by UDP port, so the sender's flow hash spreads them over its SAs.
     */
    static ByteBuf[] wirePackets(int perSa) {
        OverlayConfig config = sender();
        Topology topology = Topology.of(config);
        ByteBuf[][] bySa = new ByteBuf[SAS][perSa];
        int[] filled = new int[SAS];
        Map<Integer, Integer> saOfSpi = new HashMap<>();
        for (int sa = 0; sa < SAS; sa++) {
            saOfSpi.put(spi(sa), sa);
        }
        DropCounts drops = new DropCounts();
        int done = 0;
        try (SaTable sas = SaTable.of(topology, true)) {
            OverlayEncap encap = new OverlayEncap(topology, sas);
            for (int flow = 0; done < SAS * perSa; flow++) {
                if (flow > 1_000_000) {
                    throw new IllegalStateException("the flow hash never picked some SA: " + java.util.Arrays.toString(filled));
                }
                Tenant tenant = topology.tenant(TENANTS[flow % 2]);
                ByteBuf buf = Buffers.frame(UnpooledByteBufAllocator.DEFAULT, frame(flow), 0, FRAME_LENGTH);
                try {
                    if (!encap.encapsulate(buf, tenant, topology.peers().get("gw-a"), drops)) {
                        throw new IllegalStateException("encapsulation dropped a frame: " + drops);
                    }
                    // Ethernet 14 + IPv4 20 + UDP 8, then the SPI.
                    int sa = saOfSpi.get(EspDecrypt.spi(buf, buf.readerIndex() + 42));
                    if (filled[sa] < perSa) {
                        ByteBuf wire = Unpooled.directBuffer(buf.readableBytes());
                        wire.writeBytes(buf, buf.readerIndex(), buf.readableBytes());
                        bySa[sa][filled[sa]++] = wire;
                        done++;
                    }
                } finally {
                    buf.release();
                }
            }
        }
        ByteBuf[] ring = new ByteBuf[SAS * perSa];
        for (int i = 0; i < ring.length; i++) {
            ring[i] = bySa[i % SAS][i / SAS];
        }
        return ring;
    }

    /** An untagged Ethernet frame carrying IPv4/UDP, {@link #FRAME_LENGTH} bytes, its flow set by {@code flow}. */
    private static byte[] frame(int flow) {
        return frame(FRAME_LENGTH, flow);
    }

    /** As {@link #frame(int)}, {@code length} bytes long (at least 42: Ethernet, IPv4, UDP). */
    static byte[] frame(int length, int flow) {
        final int FRAME_LENGTH = length;
        byte[] f = new byte[FRAME_LENGTH];
        byte[] header = {
            0x02, 0, 0, 0, 0, 0x02,                 // destination MAC
            0x02, 0, 0, 0, 0, 0x01,                 // source MAC
            0x08, 0x00,                              // IPv4
            0x45, 0, (byte) ((FRAME_LENGTH - 14) >> 8), (byte) (FRAME_LENGTH - 14), 0, 0, 0x40, 0, 64, 17, 0, 0,
            10, 0, 0, 1, 10, 0, 0, 2,                // inner addresses (tenants' own, may overlap)
            (byte) (flow >> 8), (byte) flow, 0x13, (byte) 0x89,  // UDP ports: the flow
            (byte) ((FRAME_LENGTH - 34) >> 8), (byte) (FRAME_LENGTH - 34), 0, 0,
        };
        System.arraycopy(header, 0, f, 0, header.length);
        for (int i = header.length; i < f.length; i++) {
            f[i] = (byte) i;
        }
        return f;
    }
}
