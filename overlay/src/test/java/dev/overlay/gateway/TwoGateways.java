package dev.overlay.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.cli.Configs;
import dev.overlay.cluster.FreePorts;
import dev.overlay.config.OverlayConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Two gateways in this JVM, gw-a on 127.0.0.1 and gw-b on 127.0.0.2, ESP in UDP with
 * AES-GCM-256, tenants blue (VXLAN), red (Geneve, same inner addresses) and green (cleartext
 * VXLAN), each with a real {@code udp} tenant port whose far end is a test socket.
 */
final class TwoGateways implements AutoCloseable {
    static final String A = "127.0.0.1";
    static final String B = "127.0.0.2";
    // Example keys of configs/two-tenants-*.yaml (published, test only) and one more for rekeying.
    static final String K_BLUE_AB = "0x0084612b91ed7d82386a4eb6928be6fd8fa4401483ce42e90a84d24fc9be4fa9fd5ec4fa";
    static final String K_BLUE_BA = "0x670576b26853473da06eaba054181f1500968be8ea004d127db2f542c3d188570777d372";
    static final String K_RED_AB = "0x0388793470b2db38cb63352e1bd82407b7679c229ad7d7c2760675b27e2f1a5db66f6ed3";
    static final String K_RED_BA = "0x0b0b068c0dae95620ab50ed646725b0d94dfcc9ed439aaee1d53dcbdfc9ee9f878cb4398";
    static final String K_REKEY = "0x5a5a5a5a0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20";
    static final String K_BLUE_AC = "0x1111111111111111222222222222222233333333333333334444444444444444deadbeef";

    final Path dir;
    final int esp;
    final int vxlan;
    final int geneve;
    final int metricsA;
    final int metricsB;
    /** Tenant port numbers: [tenant][side]: listen on the gateway, remote the test socket. */
    final int[][] listen = new int[3][2];
    final int[][] remote = new int[3][2];
    final String transport;
    boolean thirdPeer;
    String thirdPeerAddress = "127.0.0.3";
    final List<String> sasA = new ArrayList<>();
    final List<String> sasB = new ArrayList<>();
    Gateway gwA;
    Gateway gwB;
    final List<DatagramSocket> sockets = new ArrayList<>();
    final java.util.Map<String, MemoryPort> memoryPorts = new java.util.concurrent.ConcurrentHashMap<>();
    /** Real udp ports (dev.overlay.gateway.port.UdpPort) when true, in-memory ones otherwise. */
    boolean realPorts;
    /** More keys of a tenant's flow map ({@code ", mss-clamp: auto"}), by tenant index and side. */
    final String[][] tenantKeys = {{"", ""}, {"", ""}, {"", ""}};

    /** The test's end of a tenant port. */
    interface End {
        void inject(byte[] frame) throws IOException;

        /** The next frame the gateway delivered, or null after the timeout. */
        byte[] take() throws IOException, InterruptedException;

        void timeout(long millis) throws IOException;
    }

    static final String[] TENANTS = {"blue", "red", "green"};

    TwoGateways(Path dir, String transport) {
        this.dir = dir;
        this.transport = transport;
        this.esp = freeUdpPort();
        this.vxlan = freeUdpPort();
        this.geneve = freeUdpPort();
        this.metricsA = freeTcpPort();
        this.metricsB = freeTcpPort();
        for (int t = 0; t < 3; t++) {
            for (int s = 0; s < 2; s++) {
                listen[t][s] = freeUdpPort();
                remote[t][s] = freeUdpPort();
            }
        }
        sasA.add(sa(0x1001, "out", "gw-b", "blue", K_BLUE_AB));
        sasA.add(sa(0x2001, "in", "gw-b", "blue", K_BLUE_BA));
        sasA.add(sa(0x1002, "out", "gw-b", "red", K_RED_AB));
        sasA.add(sa(0x2002, "in", "gw-b", "red", K_RED_BA));
        sasB.add(sa(0x2001, "out", "gw-a", "blue", K_BLUE_BA));
        sasB.add(sa(0x1001, "in", "gw-a", "blue", K_BLUE_AB));
        sasB.add(sa(0x2002, "out", "gw-a", "red", K_RED_BA));
        sasB.add(sa(0x1002, "in", "gw-a", "red", K_RED_AB));
    }

    static String sa(int spi, String direction, String peer, String tenant, String key) {
        return String.format("  - { spi: 0x%08x, direction: %s, peer: %s, tenants: [%s], algorithm: aes-gcm-256, "
                + "icv-length: 16, key: \"%s\" }%n", spi, direction, peer, tenant, key);
    }

    /** gw-a and gw-b of {@link #startBlue}; closing stops both. */
    record Blue(Gateway a, Gateway b) implements AutoCloseable {
        /**
         * Both offload paths carried the tenants' TCP: gw-a's port {@code portA} (a name as in
         * {@link GatewayStats#ports()}) cut the sender's TSO super-frames into segments, gw-b's
         * {@code portB} wrote coalesced super-frames, and neither port counted a bad frame.
         */
        void assertOffloadsCarried(String portA, String portB) {
            GatewayStats.PortStats in = a.stats().ports().get(portA);
            GatewayStats.PortStats out = b.stats().ports().get(portB);
            assertTrue(in.rxGsoFrames() > 0 && in.rxGsoSegments() > in.rxGsoFrames(),
                    () -> "the sender's TSO super-frames were cut at gw-a's port: " + in);
            assertTrue(out.txGsoFrames() > 0 && out.txGsoSegments() > out.txGsoFrames(),
                    () -> "gw-b wrote coalesced super-frames: " + out);
            assertEquals(0, in.rxErrors(), in::toString);
            assertEquals(0, out.rxErrors(), out::toString);
            // underlay-busy counts only a socket whose kernel buffer is full, which a bulk flow over
            // these veths does not do (UnderlayBackpressureTest holds the batch-above-the-mark case).
            for (Gateway g : List.of(a, b)) {
                assertEquals(0, g.stats().drops(GatewayDrop.UNDERLAY_BUSY.label()), () -> "underlay-busy: " + g.stats().drops());
            }
            // One bulk flow: nearly all of gw-a's port's frames went to one SA's owner, whose
            // event loop then read the port itself (LoopReader).
            assertTrue(in.readerMoves() > 0, () -> "a worker's loop took gw-a's port over: " + in);
        }

        @Override
        public void close() {
            a.close();
            b.close();
        }
    }

    /**
     * Starts two gateways that carry tenant blue alone (VNI 1001, VXLAN) over ESP in UDP with
     * AES-GCM-256, on this object's ESP, VXLAN and Geneve ports and with blue's keys: gw-a, named
     * {@code prefix + "a"}, on {@code net + ".1"} and gw-b, {@code prefix + "b"}, on {@code net + ".2"}
     * (their configs written to a.yaml and b.yaml). If gw-b does not start, gw-a is stopped.
     *
     * @param portA       blue's one port on gw-a, what stands between its braces ({@code type: tap, name: x})
     * @param portB       the same on gw-b
     * @param gatewayKeys more keys of both gateway blocks, each as {@code "\n  key: value"}, or ""
     * @param tenantKeys  more keys of blue's map on both, each as {@code ", key: value"}, or ""
     */
    Blue startBlue(String prefix, String net, String portA, String portB, String gatewayKeys, String tenantKeys)
            throws Exception {
        Gateway a = Gateway.start(Configs.loadOrFail(write("a.yaml",
                blueSide(prefix + "a", net + ".1", net + ".2", true, portA, gatewayKeys, tenantKeys))));
        try {
            return new Blue(a, Gateway.start(Configs.loadOrFail(write("b.yaml",
                    blueSide(prefix + "b", net + ".2", net + ".1", false, portB, gatewayKeys, tenantKeys)))));
        } catch (Exception | Error e) {
            a.close();
            throw e;
        }
    }

    /** One side's config of {@link #startBlue}: gw-a sends with SPI 0x1001 and receives with 0x2001, gw-b the other way round. */
    private String blueSide(String name, String address, String peerAddress, boolean a, String port,
                            String gatewayKeys, String tenantKeys) {
        String peer = a ? "gw-b" : "gw-a";
        return """
                gateway:
                  name: %s
                  address: %s
                  esp-transport: udp
                  esp-port: %d
                  vxlan-port: %d
                  geneve-port: %d
                  workers: 2%s
                peers:
                  %s: { address: %s }
                tenants:
                  blue: { vni: 1001, encapsulation: vxlan, peers: [%s], ports: [ { %s } ]%s }
                security-associations:
                """.formatted(name, address, esp, vxlan, geneve, gatewayKeys, peer, peerAddress, peer, port, tenantKeys)
                + sa(a ? 0x1001 : 0x2001, "out", peer, "blue", a ? K_BLUE_AB : K_BLUE_BA)
                + sa(a ? 0x2001 : 0x1001, "in", peer, "blue", a ? K_BLUE_BA : K_BLUE_AB);
    }

    /** gw-a's blue floods to gw-b and gw-c (127.0.0.3, where nothing listens). */
    TwoGateways withThirdPeer() {
        return withThirdPeer("127.0.0.3");
    }

    /** As {@link #withThirdPeer()}, with gw-c at {@code address}. */
    TwoGateways withThirdPeer(String address) {
        thirdPeerAddress = address;
        thirdPeer = true;
        sasA.add(sa(0x1003, "out", "gw-c", "blue", K_BLUE_AC));
        return this;
    }

    Path writeA() {
        return write("gw-a.yaml", yaml("gw-a", A, "gw-b", B, 0, metricsA, sasA));
    }

    Path writeB() {
        return write("gw-b.yaml", yaml("gw-b", B, "gw-a", A, 1, metricsB, sasB));
    }

    private String yaml(String name, String address, String peer, String peerAddress, int side, int metrics,
                        List<String> sas) {
        boolean third = thirdPeer && side == 0;
        StringBuilder y = new StringBuilder();
        y.append("gateway:\n  name: ").append(name).append("\n  address: ").append(address)
                .append("\n  esp-transport: ").append(transport).append("\n  esp-port: ").append(esp)
                .append("\n  vxlan-port: ").append(vxlan).append("\n  geneve-port: ").append(geneve)
                .append("\n  workers: 2\n  steering: spi\n  metrics: ").append(address).append(':').append(metrics)
                .append("\npeers:\n  ").append(peer).append(": { address: ").append(peerAddress).append(" }\n");
        if (third) {
            y.append("  gw-c: { address: ").append(thirdPeerAddress).append(" }\n");
        }
        y.append("tenants:\n");
        String[] encaps = {"vxlan", "geneve", "vxlan"};
        for (int t = 0; t < 3; t++) {
            y.append("  ").append(TENANTS[t]).append(": { vni: ").append(1001 + t).append(", encapsulation: ")
                    .append(encaps[t]).append(t == 2 ? ", security: none" : "").append(tenantKeys[t][side])
                    .append(", peers: [").append(peer).append(third && t == 0 ? ", gw-c" : "").append("], ports: [ { type: udp, listen: ")
                    .append(address).append(':').append(listen[t][side]).append(", remote: ").append(address).append(':')
                    .append(remote[t][side]).append(" } ] }\n");
        }
        y.append("security-associations:\n");
        sas.forEach(y::append);
        return y.toString();
    }

    Path write(String file, String text) {
        try {
            Path p = dir.resolve(file);
            Files.writeString(p, text);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    TwoGateways start() throws Exception {
        gwA = Gateway.start(Configs.loadOrFail(writeA()), options());
        gwB = Gateway.start(Configs.loadOrFail(writeB()), options());
        return this;
    }

    Gateway.Options options() {
        Gateway.PortOpener opener = realPorts ? Gateway.PortOpener.SYSTEM : (tenant, config, alloc, group) -> {
            var udp = (dev.overlay.config.PortConfig.UdpPort) config;
            MemoryPort p = new MemoryPort("memory:" + udp.listen().getAddress().getHostAddress() + ":" + tenant, alloc);
            memoryPorts.put(udp.listen().getAddress().getHostAddress() + "/" + tenant, p);
            return p;
        };
        return new Gateway.Options(opener, java.time.Duration.ofSeconds(10), java.time.Duration.ofMillis(500));
    }

    /** The test's end of {@code tenant}'s port on gw-a (side 0) or gw-b (side 1). */
    End end(String tenant, int side) {
        if (!realPorts) {
            return memoryPorts.get((side == 0 ? A : B) + "/" + tenant);
        }
        int t = java.util.Arrays.asList(TENANTS).indexOf(tenant);
        try {
            DatagramSocket s = new DatagramSocket(new InetSocketAddress(side == 0 ? A : B, remote[t][side]));
            s.setSoTimeout(2000);
            s.setReceiveBufferSize(4 << 20);
            sockets.add(s);
            InetSocketAddress to = new InetSocketAddress(side == 0 ? A : B, listen[t][side]);
            return new End() {
                @Override
                public void inject(byte[] frame) throws IOException {
                    s.send(new DatagramPacket(frame, frame.length, to));
                }

                @Override
                public byte[] take() throws IOException {
                    byte[] buf = new byte[9216];
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    try {
                        s.receive(p);
                    } catch (SocketTimeoutException e) {
                        return null;
                    }
                    return java.util.Arrays.copyOf(buf, p.getLength());
                }

                @Override
                public void timeout(long millis) throws IOException {
                    s.setSoTimeout((int) millis);
                }
            };
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An Ethernet/IPv4/UDP frame; both tenants use the same addresses, only the payload differs. */
    static byte[] frame(long dstMac, long srcMac, String payload) {
        byte[] data = payload.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(14 + 20 + 8 + data.length);
        b.putShort((short) (dstMac >>> 32)).putInt((int) dstMac).putShort((short) (srcMac >>> 32)).putInt((int) srcMac)
                .putShort((short) 0x0800);
        b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + 8 + data.length)).putInt(0).put((byte) 64)
                .put((byte) 17).putShort((short) 0).put(new byte[] {10, 0, 0, 1}).put(new byte[] {10, 0, 0, 2});
        b.putShort((short) 40000).putShort((short) 5001).putShort((short) (8 + data.length)).putShort((short) 0).put(data);
        return b.array();
    }

    /** As {@link #frame}, with DF set: the sender forbids fragmentation (RFC 791), as Linux TCP and ping -M do. */
    static byte[] frameDf(long dstMac, long srcMac, String payload) {
        byte[] f = frame(dstMac, srcMac, payload);
        f[14 + 6] = 0x40;
        return f;
    }

    /** A UDP port free on both 127.0.0.1 and 127.0.0.2 now. */
    /**
     * A UDP port free on both gateway addresses now, and never handed out before in this JVM: a
     * test picks its ports one call at a time and binds them later, and the kernel may hand a
     * port just released by one call to the next (AdversarialTrafficTest once met its own port
     * twice: "Address already in use").
     */
    static int freeUdpPort() {
        synchronized (GIVEN_UDP_PORTS) {
            for (int i = 0; i < 1_000; i++) {
                int port = FreePorts.udp(List.of(A, B), 1)[0];
                if (GIVEN_UDP_PORTS.add(port)) {
                    return port;
                }
            }
        }
        throw new IllegalStateException("no UDP port left that this JVM has not handed out");
    }

    private static final java.util.Set<Integer> GIVEN_UDP_PORTS = new java.util.HashSet<>();

    static int freeTcpPort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void waitFor(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                assertTrue(condition.getAsBoolean(), "timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    @Override
    public void close() {
        if (gwA != null) {
            gwA.close();
        }
        if (gwB != null) {
            gwB.close();
        }
        sockets.forEach(DatagramSocket::close);
    }
}
