package dev.overlay.demo;

import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The two configs of {@code demo --netns}: as {@code configs/two-tenants-gw-*.yaml} (gw-a on
 * 127.0.0.1, gw-b on 127.0.0.2, ESP in UDP, AES-GCM-256, two workers; blue on VXLAN, red on
 * Geneve) but with TAP ports (or pcap ports on veth pairs) and keys drawn for this run alone.
 */
final class NetnsConfigs {
    private NetnsConfigs() {
    }

    /** gw-a's and gw-b's YAML: each SA appears in both, out on one side and in on the other. */
    static String[] pair(NetnsLab lab, SecureRandom random, boolean pcap) {
        String[][] keys = new String[2][2]; // [tenant][0: a -> b, 1: b -> a]
        for (String[] k : keys) {
            k[0] = key(random);
            k[1] = key(random);
        }
        return new String[] {yaml(lab, 'a', keys, pcap), yaml(lab, 'b', keys, pcap)};
    }

    private static String yaml(NetnsLab lab, char side, String[][] keys, boolean pcap) {
        boolean a = side == 'a';
        String self = a ? "gw-a" : "gw-b";
        String peer = a ? "gw-b" : "gw-a";
        StringBuilder y = new StringBuilder();
        y.append("# overlay demo --netns, run ").append(lab.id).append(": generated, keys for this run only\n");
        y.append("gateway:\n  name: ").append(self).append("\n  address: ").append(a ? "127.0.0.1" : "127.0.0.2")
                .append("\n  esp-transport: udp\n  underlay-mtu: 1500\n  workers: 2\n  steering: spi\n")
                // Sequence numbers persist beside the generated configs (their 0700 directory).
                .append("  state-dir: .\n");
        y.append("peers:\n  ").append(peer).append(": { address: ").append(a ? "127.0.0.2" : "127.0.0.1").append(" }\n");
        y.append("tenants:\n");
        for (int t = 0; t < NetnsDemo.TENANTS.length; t++) {
            String tenant = NetnsDemo.TENANTS[t];
            y.append("  ").append(tenant).append(":\n    vni: ").append(1001 + t).append("\n    encapsulation: ")
                    .append(t == 0 ? "vxlan" : "geneve").append("\n    peers: [").append(peer).append("]\n")
                    .append("    ports:\n      - ").append(pcap
                            ? "{ type: pcap, interface: " + lab.veth(tenant, side) + " }"
                            : "{ type: tap, name: " + lab.tap(tenant, side) + " }").append('\n');
        }
        y.append("security-associations:\n");
        for (int t = 0; t < NetnsDemo.TENANTS.length; t++) {
            // SPI 0x1t0x from a to b, 0x2t0x from b to a, as in configs/two-tenants-gw-*.yaml.
            int ab = 0x1001 + t;
            int ba = 0x2001 + t;
            y.append(sa(ab, a ? "out" : "in", peer, NetnsDemo.TENANTS[t], keys[t][0]));
            y.append(sa(ba, a ? "in" : "out", peer, NetnsDemo.TENANTS[t], keys[t][1]));
        }
        return y.toString();
    }

    private static String sa(int spi, String direction, String peer, String tenant, String key) {
        return String.format("  - { spi: 0x%08x, direction: %s, peer: %s, tenants: [%s], algorithm: aes-gcm-256, "
                + "icv-length: 16, key: \"%s\" }%n", spi, direction, peer, tenant, key);
    }

    /** A fresh AES-GCM-256 key then salt (32 + 4 bytes). */
    private static String key(SecureRandom random) {
        byte[] k = new byte[36];
        random.nextBytes(k);
        return "0x" + HexFormat.of().formatHex(k);
    }
}
