package dev.overlay.gateway;

import dev.overlay.cli.Configs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Two gateways in this JVM with real {@code udp} tenant ports, for the attack, flood and soak
 * runs: gw-a on 127.0.0.1, gw-b on 127.0.0.2, ESP in UDP with AES-GCM-256. Unlike
 * {@link TwoGateways}, its tenants and SAs are lists the caller edits between reloads, and every
 * far end of every tenant port is a {@link FarEnd} whose reader thread checks what arrives:
 * legitimate frames carry {@code "<tenant>:<sequence>"} and must arrive in order, anything else
 * is counted as foreign.
 */
final class GatewayLab implements AutoCloseable {
    static final String A = "127.0.0.1";
    static final String B = "127.0.0.2";
    static final long MAC_1 = 0x02_00_00_00_00_01L;
    static final long MAC_2 = 0x02_00_00_00_00_02L;

    /** One tenant: both gateways list it with the same VNI and encapsulation. */
    record TenantSpec(String name, int vni, String encapsulation, boolean esp) {}

    final Path dir;
    final int esp = TwoGateways.freeUdpPort();
    final int vxlan = TwoGateways.freeUdpPort();
    final int geneve = TwoGateways.freeUdpPort();
    final int metricsA = TwoGateways.freeTcpPort();
    final int metricsB = TwoGateways.freeTcpPort();
    final Map<String, TenantSpec> tenants = new LinkedHashMap<>();
    /** SA lines of gw-a's and gw-b's configs, as {@link #sa} writes them. */
    final List<String> sasA = new ArrayList<>();
    final List<String> sasB = new ArrayList<>();
    /** Per tenant: [listen on gw-a, far end of gw-a, listen on gw-b, far end of gw-b]. */
    private final Map<String, int[]> portNumbers = new ConcurrentHashMap<>();
    private final Map<String, FarEnd> ends = new ConcurrentHashMap<>();
    Duration retireAfter = Duration.ofMillis(500);
    Gateway gwA;
    Gateway gwB;

    GatewayLab(Path dir) {
        this.dir = dir;
    }

    GatewayLab tenant(String name, int vni, String encapsulation, boolean esp) {
        tenants.put(name, new TenantSpec(name, vni, encapsulation, esp));
        return this;
    }

    static String sa(int spi, String direction, String peer, String tenants, String algorithm, String key) {
        return String.format("  - { spi: 0x%08x, direction: %s, peer: %s, tenants: [%s], algorithm: %s, "
                + "icv-length: 16, key: \"%s\" }%n", spi, direction, peer, tenants, algorithm, key);
    }

    /** An AES-GCM-256 SA pair for {@code tenant}: gw-a -> gw-b with {@code spiAb}, back with {@code spiBa}. */
    GatewayLab gcmPair(String tenant, int spiAb, String keyAb, int spiBa, String keyBa) {
        sasA.add(sa(spiAb, "out", "gw-b", tenant, "aes-gcm-256", keyAb));
        sasB.add(sa(spiAb, "in", "gw-a", tenant, "aes-gcm-256", keyAb));
        sasB.add(sa(spiBa, "out", "gw-a", tenant, "aes-gcm-256", keyBa));
        sasA.add(sa(spiBa, "in", "gw-b", tenant, "aes-gcm-256", keyBa));
        return this;
    }

    int[] ports(String tenant) {
        return portNumbers.computeIfAbsent(tenant, t -> new int[] {TwoGateways.freeUdpPort(),
                TwoGateways.freeUdpPort(), TwoGateways.freeUdpPort(), TwoGateways.freeUdpPort()});
    }

    String yaml(int side) {
        String self = side == 0 ? A : B;
        String peer = side == 0 ? "gw-b" : "gw-a";
        StringBuilder y = new StringBuilder();
        y.append("gateway:\n  name: ").append(side == 0 ? "gw-a" : "gw-b").append("\n  address: ").append(self)
                .append("\n  esp-transport: udp\n  esp-port: ").append(esp).append("\n  vxlan-port: ").append(vxlan)
                .append("\n  geneve-port: ").append(geneve).append("\n  workers: 2\n  steering: spi\n  metrics: ")
                .append(self).append(':').append(side == 0 ? metricsA : metricsB)
                .append("\npeers:\n  ").append(peer).append(": { address: ").append(side == 0 ? B : A).append(" }\n");
        y.append("tenants:\n");
        for (TenantSpec t : tenants.values()) {
            int[] p = ports(t.name());
            y.append("  ").append(t.name()).append(": { vni: ").append(t.vni()).append(", encapsulation: ")
                    .append(t.encapsulation()).append(t.esp() ? "" : ", security: none").append(", peers: [")
                    .append(peer).append("], ports: [ { type: udp, listen: ").append(self).append(':')
                    .append(p[side * 2]).append(", remote: ").append(self).append(':').append(p[side * 2 + 1])
                    .append(" } ] }\n");
        }
        y.append("security-associations:\n");
        (side == 0 ? sasA : sasB).forEach(y::append);
        return y.toString();
    }

    Path write(int side) {
        return write(side == 0 ? "gw-a.yaml" : "gw-b.yaml", yaml(side));
    }

    Path write(String file, String text) {
        try {
            return Files.writeString(dir.resolve(file), text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    GatewayLab start() throws Exception {
        Gateway.Options options = new Gateway.Options(Gateway.PortOpener.SYSTEM, Duration.ofSeconds(10), retireAfter);
        gwA = Gateway.start(Configs.loadOrFail(write(0)), options);
        gwB = Gateway.start(Configs.loadOrFail(write(1)), options);
        return this;
    }

    Gateway.ReloadResult reload(int side) {
        Gateway gw = side == 0 ? gwA : gwB;
        Gateway.ReloadResult r = gw.reload(write(side));
        if (!r.applied()) {
            throw new AssertionError("reload of " + gw.name() + " refused: " + r.errors());
        }
        return r;
    }

    /** The test's end of {@code tenant}'s port on gw-a (side 0) or gw-b (side 1); made once, then reused. */
    FarEnd end(String tenant, int side) {
        return ends.computeIfAbsent(tenant + "/" + side, k -> {
            int[] p = ports(tenant);
            String host = side == 0 ? A : B;
            return new FarEnd(tenant, new InetSocketAddress(host, p[side * 2 + 1]),
                    new InetSocketAddress(host, p[side * 2]));
        });
    }

    /** Every UDP port number of this lab: underlay ports, tenant ports and their far ends. */
    java.util.Set<Integer> allPorts() {
        java.util.Set<Integer> all = new java.util.TreeSet<>(List.of(esp, vxlan, geneve));
        portNumbers.values().forEach(p -> {
            for (int n : p) {
                all.add(n);
            }
        });
        return all;
    }

    /** Every far end made so far. */
    Iterable<FarEnd> ends() {
        return ends.values();
    }

    /** A frame that says whose and which it is: {@code "<tenant>:<sequence>"} after Ethernet/IPv4/UDP (offset 42). */
    static byte[] legit(String tenant, long sequence) {
        return TwoGateways.frame(MAC_2, MAC_1, tenant + ":" + sequence);
    }

    /**
     * The far end of a tenant port: sends frames into the gateway and checks every frame the
     * gateway delivers on a reader thread of its own.
     */
    static final class FarEnd implements AutoCloseable {
        final String tenant;
        private final DatagramSocket socket;
        private final InetSocketAddress to;
        private final Thread reader;
        /** The next sequence number expected from this tenant's own legitimate stream. */
        final AtomicLong next = new AtomicLong();
        /** Frames that skipped ahead (their count is the gap), came twice or out of order, or were not ours. */
        final AtomicLong lost = new AtomicLong();
        final AtomicLong reordered = new AtomicLong();
        final AtomicLong foreign = new AtomicLong();
        final AtomicLong received = new AtomicLong();
        /** System.nanoTime() of the last frame received. */
        volatile long lastArrival;

        FarEnd(String tenant, InetSocketAddress bind, InetSocketAddress to) {
            this.tenant = tenant;
            this.to = to;
            try {
                socket = new DatagramSocket(bind);
                socket.setReceiveBufferSize(4 << 20);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            reader = Thread.ofPlatform().daemon().name("lab-" + tenant + "-" + bind.getPort()).start(this::read);
        }

        void send(byte[] frame) {
            try {
                socket.send(new DatagramPacket(frame, frame.length, to));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private void read() {
            byte[] buf = new byte[65536];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            String prefix = tenant + ":";
            while (!socket.isClosed()) {
                try {
                    socket.receive(p);
                } catch (IOException closed) {
                    return;
                }
                received.incrementAndGet();
                lastArrival = System.nanoTime();
                String payload = p.getLength() > 42
                        ? new String(buf, 42, p.getLength() - 42, StandardCharsets.US_ASCII) : "";
                long seq = payload.startsWith(prefix) ? parse(payload.substring(prefix.length())) : -1;
                byte[] expected = seq < 0 ? null : legit(tenant, seq);
                if (expected == null || !java.util.Arrays.equals(buf, 0, p.getLength(), expected, 0, expected.length)) {
                    foreign.incrementAndGet(); // not this tenant's frame, or not intact
                    continue;
                }
                long want = next.get();
                if (seq == want) {
                    next.set(seq + 1);
                } else if (seq > want) {
                    lost.addAndGet(seq - want);
                    next.set(seq + 1);
                } else {
                    reordered.incrementAndGet();
                }
            }
        }

        private static long parse(String digits) {
            try {
                return Long.parseLong(digits);
            } catch (NumberFormatException e) {
                return -1;
            }
        }

        @Override
        public String toString() {
            return tenant + "@" + socket.getLocalSocketAddress() + "{received=" + received + ", next=" + next
                    + ", lost=" + lost + ", reordered=" + reordered + ", foreign=" + foreign + "}";
        }

        @Override
        public void close() {
            socket.close();
            try {
                reader.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Sends {@code tenant:0, tenant:1, ...} into a port at a fixed rate from a thread of its own
     * until stopped; {@link #sent} is how many went out.
     */
    static final class Stream implements AutoCloseable {
        final FarEnd from;
        final String tenant;
        final AtomicLong sent = new AtomicLong();
        private volatile boolean running = true;
        private final Thread thread;

        Stream(FarEnd from, String tenant, int framesPerSecond) {
            this.from = from;
            this.tenant = tenant;
            long gap = 1_000_000_000L / framesPerSecond;
            thread = Thread.ofPlatform().daemon().name("lab-stream-" + tenant).start(() -> {
                long t = System.nanoTime();
                for (long i = 0; running; i++) {
                    from.send(legit(tenant, i));
                    sent.set(i + 1);
                    t += gap;
                    long now = System.nanoTime();
                    if (now - t > 20_000_000L) {
                        // Descheduled for a while (a loaded host): carry on at the rate from now
                        // rather than catch up in one burst, which would test the burst, not the rate.
                        t = now;
                    }
                    long wait = t - now;
                    if (wait > 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(wait);
                    }
                }
            });
        }

        @Override
        public void close() {
            running = false;
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * One tenant's frames stage by stage from the sending far end (gw-a when {@code from} is 0) to
     * the receiving one, in order: what each stage took in. Read once traffic has stopped and
     * drained, every step must equal the previous minus the drops counted between them.
     */
    Map<String, Long> ledger(String tenant, long sent, int from) {
        int to = 1 - from;
        int[] p = ports(tenant);
        GatewayStats src = (from == 0 ? gwA : gwB).stats();
        GatewayStats dst = (to == 0 ? gwA : gwB).stats();
        String srcPort = "udp:" + (from == 0 ? A : B) + ":" + p[from * 2];
        String dstPort = "udp:" + (to == 0 ? A : B) + ":" + p[to * 2];
        Map<String, Long> l = new LinkedHashMap<>();
        l.put("sent", sent);
        l.put("kernel-drops@src-port", kernelDrops(p[from * 2]));
        GatewayStats.PortStats sp = src.ports().get(srcPort);
        l.put("src-port.rx", sp == null ? -1 : sp.rxFrames());
        l.put("src-port.rxErrors", sp == null ? -1 : sp.rxErrors());
        l.put("src-tenant.tx", src.tenants().containsKey(tenant) ? src.tenant(tenant).txFrames() : -1);
        l.put("src-underlay.tx(all)", src.underlayTxPackets());
        l.put("dst-underlay.rx(all)", dst.underlayRxPackets());
        l.put("dst-tenant.rx", dst.tenants().containsKey(tenant) ? dst.tenant(tenant).rxFrames() : -1);
        GatewayStats.PortStats dp = dst.ports().get(dstPort);
        l.put("dst-port.tx", dp == null ? -1 : dp.txFrames());
        l.put("dst-port.txDropped", dp == null ? -1 : dp.txDropped());
        l.put("kernel-drops@far-end", kernelDrops(p[to * 2 + 1]));
        FarEnd far = end(tenant, to);
        l.put("far.received", far.received.get());
        l.put("far.next", far.next.get());
        l.put("far.lost", far.lost.get());
        l.put("far.reordered", far.reordered.get());
        return l;
    }

    /** Drops of every stage flattened to reason -> count. */
    static Map<String, Long> drops(GatewayStats s) {
        Map<String, Long> all = new java.util.TreeMap<>();
        s.drops().values().forEach(m -> m.forEach((k, v) -> all.merge(k, v, Long::sum)));
        return all;
    }

    /** {@code after - before}, reasons with no change left out. */
    static Map<String, Long> delta(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> d = new java.util.TreeMap<>();
        after.forEach((k, v) -> {
            long x = v - before.getOrDefault(k, 0L);
            if (x != 0) {
                d.put(k, x);
            }
        });
        return d;
    }

    /** Kernel drops (receive buffer full) of the UDP sockets bound to {@code port}, from /proc/net/udp. */
    static long kernelDrops(int port) {
        List<UdpSocketDrops.Socket> sockets = udpSockets(port);
        return sockets == null ? -1 : sockets.stream().mapToLong(UdpSocketDrops.Socket::drops).sum();
    }

    /** UDP sockets bound to {@code port} on any address, from /proc/net/udp. */
    static int socketsOn(int port) {
        List<UdpSocketDrops.Socket> sockets = udpSockets(port);
        return sockets == null ? -1 : sockets.size();
    }

    /** The IPv4 sockets bound to {@code port}, on any address (both gateways); null if unreadable. */
    private static List<UdpSocketDrops.Socket> udpSockets(int port) {
        List<UdpSocketDrops.Socket> all = UdpSocketDrops.sockets(false);
        return all == null ? null : all.stream().filter(s -> s.port() == port).toList();
    }

    @Override
    public void close() {
        if (gwA != null) {
            gwA.close();
        }
        if (gwB != null) {
            gwB.close();
        }
        ends.values().forEach(FarEnd::close);
    }
}
