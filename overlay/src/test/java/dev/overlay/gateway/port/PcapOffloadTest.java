package dev.overlay.gateway.port;

import static dev.overlay.gateway.port.PortTesting.requireRoot;
import static dev.overlay.gateway.port.PortTesting.run;
import static dev.overlay.gateway.port.PortTesting.sh;
import static dev.overlay.gateway.port.PortTesting.uniqueName;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.datapath.Tshark;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A pcap port on the root end of a veth whose other end, in a namespace, keeps the defaults every
 * veth has (MTU 1500; tx checksumming, TSO, GSO and UDP segmentation on: asserted with ethtool
 * first, as the review found earlier tests hid them by turning them off). The namespace's own
 * stack sends TCP over IPv4 and IPv6 to a server in the root namespace, TCP inside its own VXLAN
 * tunnel (outer UDP checksums on), UDP datagrams, and a UDP segmentation (UDP_SEGMENT) send; a
 * python packet socket with PACKET_VNET_HDR injects what a
 * stack hands a VLAN device: a TSO super-frame with an 802.1Q tag and a partial checksum. Every
 * frame the port's sink receives is then read by tshark with checksum validation on: every IPv4,
 * TCP and UDP checksum verifies, no frame is longer than the MTU allows, TCP payloads put back in
 * sequence order hash as the sender's did, the UDP segments are the datagrams asked for, and the
 * VLAN tag the kernel took out is back. Run with PACKET_VNET_HDR and with its fallback.
 */
class PcapOffloadTest {
    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;
    private static final int TCP_BYTES = 1 << 20;

    /** Three datagrams, then 4,500 bytes in one send with UDP_SEGMENT 1000: five datagrams, one GSO skb. */
    private static final String UDP = """
            import socket, sys
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            for n in (200, 1000, 1472):
                s.sendto(bytes([n % 251]) * n, (sys.argv[1], int(sys.argv[2])))
            s.setsockopt(17, 103, 1000)
            s.sendto(bytes(range(250)) * 18, (sys.argv[1], int(sys.argv[2])))
            """;
    /** argv: interface, hex of a virtio_net_hdr and a frame; sent through PACKET_VNET_HDR. */
    private static final String INJECT = """
            import socket, sys
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
            s.setsockopt(263, 15, 1)
            s.bind((sys.argv[1], 0))
            s.send(bytes.fromhex(sys.argv[2]))
            """;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "PACKET_VNET_HDR {0}")
    @ValueSource(booleans = {true, false})
    void framesFromAVethWithDefaultOffloadsReachTheSinkFinishedAndSegmented(boolean vnetHeader) throws Exception {
        requireRoot();
        String ns = uniqueName("ovo");
        String near = uniqueName("ovo");
        String far = near + "p";
        int s = ThreadLocalRandom.current().nextInt(1, 250);
        String v4Near = "10.198." + s + ".1";
        String v4Far = "10.198." + s + ".2";
        String v6Near = "fd00:198:" + Integer.toHexString(s) + "::1";
        String v6Far = "fd00:198:" + Integer.toHexString(s) + "::2";
        int port = ThreadLocalRandom.current().nextInt(20_000, 40_000);
        sh("ip", "netns", "add", ns);
        PortTesting.Frames frames = new PortTesting.Frames();
        PcapPort pcap = null;
        try {
            sh("ip", "link", "add", near, "type", "veth", "peer", "name", far, "netns", ns);
            sh("sysctl", "-qw", "net.ipv6.conf." + near + ".disable_ipv6=0");
            sh("ip", "addr", "add", v4Near + "/24", "dev", near);
            sh("ip", "addr", "add", v6Near + "/64", "dev", near, "nodad");
            sh("ip", "link", "set", near, "up");
            inNs(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=0");
            inNs(ns, "ip", "link", "set", "lo", "up");
            inNs(ns, "ip", "addr", "add", v4Far + "/24", "dev", far);
            inNs(ns, "ip", "addr", "add", v6Far + "/64", "dev", far, "nodad");
            inNs(ns, "ip", "link", "set", far, "up");
            // The tenant's own VXLAN over the veth (outer UDP checksums on), as a nested overlay runs.
            String tunnelNear = "10.196." + s + ".1";
            sh("ip", "link", "add", near + "v", "type", "vxlan", "id", "77", "local", v4Near, "remote", v4Far,
                    "dstport", Integer.toString(port + 4), "udpcsum", "dev", near);
            sh("ip", "addr", "add", tunnelNear + "/24", "dev", near + "v");
            sh("ip", "link", "set", near + "v", "up");
            inNs(ns, "ip", "link", "add", "vx", "type", "vxlan", "id", "77", "local", v4Far, "remote", v4Near,
                    "dstport", Integer.toString(port + 4), "udpcsum", "dev", far);
            inNs(ns, "ip", "addr", "add", "10.196." + s + ".2/24", "dev", "vx");
            inNs(ns, "ip", "link", "set", "vx", "up");
            Map<String, String> features = features(inNs(ns, "ethtool", "-k", far));
            for (String f : List.of("tx-checksumming", "tcp-segmentation-offload", "generic-segmentation-offload",
                    "tx-udp-segmentation", "tx-udp_tnl-segmentation", "tx-udp_tnl-csum-segmentation")) {
                assertEquals("on", features.get(f), f + " must be the veth's default here: " + features);
            }
            assertTrue(inNs(ns, "ip", "link", "show", far).contains("mtu 1500"));

            pcap = PcapPort.open(near, vnetHeader, ALLOC);
            assertEquals(vnetHeader ? "af-packet vnet-hdr ignore-outgoing promiscuous"
                    : "af-packet auxdata-checksums ignore-outgoing promiscuous", pcap.path());
            pcap.start(frames);

            String v4Sent = tcp(ns, v4Near, port, 1);
            String v6Sent = tcp(ns, v6Near, port + 1, 2);
            long errorsBeforeTunnel = pcap.counters().rxErrors.sum();
            String tunnelSent = tcp(ns, tunnelNear, port + 5, 4);
            long tunnelErrors = pcap.counters().rxErrors.sum() - errorsBeforeTunnel;
            inNs(ns, "python3", "-c", UDP, v4Near, Integer.toString(port + 2));
            byte[] vlanPayload = new byte[5_000];
            new java.util.Random(3).nextBytes(vlanPayload);
            inNs(ns, "python3", "-c", INJECT, far, HexFormat.of().formatHex(taggedTsoSuperFrame(vlanPayload, port + 3)));
            Thread.sleep(300);

            List<ByteBuf> got = new ArrayList<>();
            for (ByteBuf f; (f = frames.queue.poll()) != null; ) {
                got.add(f);
            }
            List<String[]> rows;
            List<String[]> tunnel;
            try {
                rows = tshark(got, port);
                tunnel = Tshark.fieldsWith(dir, got, List.of("-d", "udp.port==" + (port + 4) + ",vxlan", "-E", "occurrence=a"),
                        "tcp.dstport == " + (port + 5), "frame.len", "ip.checksum.status", "udp.checksum.status",
                        "tcp.checksum.status", "tcp.seq_raw", "tcp.payload");
            } finally {
                got.forEach(ByteBuf::release);
            }
            // Columns: frame.len, vlan.id, ip.checksum.status, tcp.checksum.status, udp.checksum.status,
            // tcp.dstport, tcp.seq_raw, tcp.len, tcp.payload, udp.dstport, udp.length, udp.payload, ip.len, ipv6.plen.
            int tcpSegments = 0;
            for (String[] r : rows) {
                boolean tagged = !r[1].isEmpty();
                assertTrue(Integer.parseInt(r[0]) <= 1514 + (tagged ? 4 : 0), "longer than MTU 1500 allows: " + String.join(",", r));
                int ipLength = !r[12].isEmpty() ? Integer.parseInt(r[12]) : Integer.parseInt(r[13]) + 40;
                assertTrue(ipLength <= 1500, "IP datagram over the MTU: " + ipLength);
                if (!r[2].isEmpty()) {
                    assertEquals("1", r[2], "IPv4 header checksum: " + String.join(",", r));
                }
                if (!r[5].isEmpty()) {
                    assertEquals("1", r[3], "TCP checksum: " + String.join(",", r));
                    tcpSegments++;
                }
                if (!r[9].isEmpty()) {
                    assertEquals("1", r[4], "UDP checksum: " + String.join(",", r));
                }
            }
            assertEquals(v4Sent, TCP_BYTES + " " + sha256(payload(rows, port)), "IPv4 TCP stream as the sink got it");
            assertEquals(v6Sent, TCP_BYTES + " " + sha256(payload(rows, port + 1)), "IPv6 TCP stream as the sink got it");
            List<String[]> tagged = rows.stream().filter(r -> r[5].equals(Integer.toString(port + 3))).toList();
            assertTrue(tagged.stream().allMatch(r -> r[1].equals("100")), "the 802.1Q tag is back on every segment");
            assertEquals(vnetHeader ? 5 : 4, tagged.size(), "gso_size 1000, or the MSS MTU 1500 allows (1460)");
            assertEquals(HexFormat.of().formatHex(vlanPayload), HexFormat.of().formatHex(payload(rows, port + 3)));

            List<String[]> udp = rows.stream().filter(r -> r[9].equals(Integer.toString(port + 2))).toList();
            List<String> lengths = udp.stream().map(r -> r[10]).toList();
            byte[] segmented = new byte[4_500];
            for (int i = 0; i < segmented.length; i++) {
                segmented[i] = (byte) (i % 250);
            }
            if (vnetHeader) {
                assertEquals(List.of("208", "1008", "1480", "1008", "1008", "1008", "1008", "508"), lengths);
                String segments = String.join("", udp.subList(3, 8).stream().map(r -> r[11].replace(":", "")).toList());
                assertEquals(HexFormat.of().formatHex(segmented), segments, "UDP_SEGMENT's datagrams, in order");
                assertEquals(0, pcap.counters().rxErrors.sum());
            } else {
                // Without the virtio header a UDP super-frame's datagram boundaries are lost: refused, counted.
                assertEquals(List.of("208", "1008", "1480"), lengths);
                assertEquals(1 + tunnelErrors, pcap.counters().rxErrors.sum());
            }
            assertTrue(tcpSegments > 2 * TCP_BYTES / 1448);
            if (vnetHeader) {
                // TCP inside the tenant's VXLAN: outer IPv4 and UDP, inner IPv4 and TCP all verify.
                TreeMap<Long, byte[]> bySeq = new TreeMap<>();
                for (String[] r : tunnel) {
                    assertTrue(Integer.parseInt(r[0]) <= 1514, "longer than MTU 1500 allows: " + String.join(",", r));
                    assertEquals("1,1", r[1], "outer and inner IPv4 header checksums: " + String.join(",", r));
                    assertEquals("1", r[2], "outer UDP checksum: " + String.join(",", r));
                    assertEquals("1", r[3], "inner TCP checksum: " + String.join(",", r));
                    if (!r[5].isEmpty()) {
                        bySeq.put(Long.parseLong(r[4]), HexFormat.of().parseHex(r[5].replace(":", "")));
                    }
                }
                ByteArrayOutputStream stream = new ByteArrayOutputStream();
                bySeq.values().forEach(stream::writeBytes);
                assertEquals(tunnelSent, TCP_BYTES + " " + sha256(stream.toByteArray()), "the tunnelled TCP stream");
                assertEquals(0, tunnelErrors);
            } else {
                // Without the virtio header the inner TCP of a tunnel super-frame is not found: refused, counted.
                assertTrue(tunnelErrors > 0 && tunnel.stream().allMatch(r -> Integer.parseInt(r[0]) <= 1514));
            }
            long gsoFrames = pcap.counters().rxGsoFrames.sum();
            long gsoSegments = pcap.counters().rxGsoSegments.sum();
            assertTrue(gsoFrames > 0 && gsoSegments > 2 * gsoFrames,
                    "TSO super-frames reached the port and were cut: " + gsoFrames + " into " + gsoSegments);
        } finally {
            if (pcap != null) {
                pcap.close();
            }
            frames.releaseAll();
            run("ip", "link", "del", "dev", near + "v");
            run("ip", "link", "del", "dev", near);
            run("ip", "netns", "del", ns);
        }
    }

    /** {@code TCP_BYTES} from the namespace to a server at {@code address}; the client's "length sha256". */
    private String tcp(String ns, String address, int port, int seed) throws Exception {
        Process server = new ProcessBuilder("python3", "-c", TcpBulkScripts.RECEIVER, address, Integer.toString(port), "30")
                .redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))) {
            assertEquals("listening", out.readLine());
            String sent = inNs(ns, "python3", "-c", TcpBulkScripts.SENDER, address, Integer.toString(port),
                    Integer.toString(seed), Integer.toString(TCP_BYTES), "30").strip();
            assertEquals(sent, out.readLine(), "the root namespace's stack got it all");
            return sent;
        } finally {
            server.destroy();
            server.waitFor(5, TimeUnit.SECONDS);
        }
    }

    /**
     * A virtio_net_hdr (NEEDS_CSUM from the TCP header, GSO TCPV4, gso_size 1000) and an Ethernet
     * frame with an 802.1Q tag (VLAN 100), IPv4 and TCP to {@code port}, the TCP checksum field
     * holding the pseudo-header's sum, as a stack hands a TSO super-frame to a VLAN device.
     */
    private static byte[] taggedTsoSuperFrame(byte[] payload, int port) {
        int ip = 20 + 20 + payload.length;
        ByteBuffer b = ByteBuffer.allocate(10 + 18 + ip);
        b.order(ByteOrder.LITTLE_ENDIAN).put((byte) 1).put((byte) 1).putShort((short) 58).putShort((short) 1000)
                .putShort((short) 38).putShort((short) 16);
        b.order(ByteOrder.BIG_ENDIAN);
        b.put(HexFormat.of().parseHex("02000000000202000000000181000064" + "0800"));
        int l3 = b.position();
        b.put((byte) 0x45).put((byte) 0).putShort((short) ip).putShort((short) 7).putShort((short) 0x4000)
                .put((byte) 64).put((byte) 6).putShort((short) 0);
        b.put(new byte[] {10, 99, 0, 1, 10, 99, 0, 2});
        b.putShort(l3 + 10, (short) ~fold(sum(b.array(), l3, 20)));
        long pseudo = sum(b.array(), l3 + 12, 8) + 6 + 20 + payload.length;
        b.putShort((short) 40_000).putShort((short) port).putInt(1_000).putInt(0).put((byte) 0x50).put((byte) 0x18)
                .putShort((short) 502).putShort((short) fold(pseudo)).putShort((short) 0);
        b.put(payload);
        return b.array();
    }

    private static long sum(byte[] bytes, int from, int length) {
        long sum = 0;
        for (int i = 0; i < length; i += 2) {
            sum += ((bytes[from + i] & 0xFF) << 8) | (i + 1 < length ? bytes[from + i + 1] & 0xFF : 0);
        }
        return sum;
    }

    private static int fold(long sum) {
        while (sum >> 16 != 0) {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (int) sum;
    }

    /** The TCP payload to {@code port}, put back in sequence order. */
    private static byte[] payload(List<String[]> rows, int port) {
        TreeMap<Long, byte[]> bySeq = new TreeMap<>();
        for (String[] r : rows) {
            if (r[5].equals(Integer.toString(port)) && !r[8].isEmpty()) {
                bySeq.put(Long.parseLong(r[6]), HexFormat.of().parseHex(r[8].replace(":", "")));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        bySeq.values().forEach(out::writeBytes);
        return out.toByteArray();
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    /** tshark's view of the frames to the test's ports, checksum validation on. */
    private List<String[]> tshark(List<ByteBuf> frames, int port) throws Exception {
        return Tshark.fields(dir, frames,
                "tcp.dstport >= " + port + " && tcp.dstport <= " + (port + 3) + " || udp.dstport == " + (port + 2),
                "frame.len", "vlan.id", "ip.checksum.status", "tcp.checksum.status", "udp.checksum.status",
                "tcp.dstport", "tcp.seq_raw", "tcp.len", "tcp.payload", "udp.dstport", "udp.length", "udp.payload",
                "ip.len", "ipv6.plen");
    }

    private static String inNs(String ns, String... command) {
        String[] full = new String[command.length + 4];
        full[0] = "ip";
        full[1] = "netns";
        full[2] = "exec";
        full[3] = ns;
        System.arraycopy(command, 0, full, 4, command.length);
        return sh(full);
    }

    /** {@code ethtool -k} lines "name: on|off [fixed]" as name to on/off. */
    static Map<String, String> features(String ethtool) {
        Map<String, String> m = new TreeMap<>();
        for (String line : ethtool.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.startsWith("\t") || colon > 0 && !line.startsWith("Features")) {
                String value = line.substring(colon + 1).strip();
                m.put(line.substring(0, colon).strip(), value.startsWith("on") ? "on" : value.startsWith("off") ? "off" : value);
            }
        }
        return m;
    }
}
