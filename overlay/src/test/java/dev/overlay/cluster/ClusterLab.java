package dev.overlay.cluster;

import dev.overlay.config.ConfigLoader;
import dev.overlay.config.ConfigResult;
import dev.overlay.config.OverlayConfig;
import dev.overlay.gateway.Gateway;
import dev.overlay.gateway.GatewayStats;
import dev.overlay.vtep.MacAddress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * A 3-member etcd cluster on loopback and gateways in this JVM, each on its own loopback address
 * (127.0.13.N) with ESP in UDP and real {@code udp} tenant ports whose far ends are test sockets:
 * tenants blue (VXLAN 1001, ESP) and red (Geneve 1002, ESP) on every gateway. Free ports and a
 * temporary directory per run, so runs side by side never meet; {@link #close()} stops every
 * gateway and agent and kills etcd.
 */
final class ClusterLab implements AutoCloseable {
    static final String[] TENANTS = {"blue", "red"};
    static final int MAX_NODES = 4;

    final Path dir;
    final LocalEtcd etcd;
    final String prefix;
    final int esp;
    final int vxlan;
    final int geneve;
    int rekeySeconds;
    int graceSeconds = 30;
    int leaseSeconds = 5;
    /** The cluster PSK in hex for every node, or null for none. */
    String pskHex;
    final Map<Integer, Node> nodes = new TreeMap<>();

    /** One gateway, its agent and the test's ends of its tenant ports. */
    final class Node {
        final int n;
        final String name;
        final String address;
        final int[] listen = new int[TENANTS.length];
        final int[] remote = new int[TENANTS.length];
        final DatagramSocket[] ends = new DatagramSocket[TENANTS.length];
        Gateway gateway;
        ClusterAgent agent;
        OverlayConfig config;

        /** Binds the test's ends now, for good; the gateway's listen ports come from the lab. */
        Node(int n) {
            this.n = n;
            this.name = "gw-" + n;
            this.address = "127.0.13." + n;
            try {
                for (int t = 0; t < TENANTS.length; t++) {
                    ends[t] = new DatagramSocket(new InetSocketAddress(address, 0));
                    ends[t].setReceiveBufferSize(4 << 20);
                    remote[t] = ends[t].getLocalPort();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        Path configFile() {
            return dir.resolve(name + ".yaml");
        }

        /** This node's PSK in hex (the lab's unless set), or null. */
        String pskHex;
        /** A TCP port for gateway.metrics on this node's address, or 0 for none. */
        int metricsPort;

        String yaml() throws IOException {
            String psk = pskHex != null ? pskHex : ClusterLab.this.pskHex;
            String pskLine = "";
            if (psk != null) {
                Path file = dir.resolve(name + ".psk");
                Files.writeString(file, psk);
                Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
                pskLine = "    psk-file: " + file + "\n";
            }
            StringBuilder y = new StringBuilder();
            y.append("gateway:\n  name: ").append(name).append("\n  address: ").append(address)
                    .append("\n  esp-port: ").append(esp).append("\n  vxlan-port: ").append(vxlan)
                    .append("\n  geneve-port: ").append(geneve).append("\n  workers: 2\n")
                    .append(metricsPort == 0 ? "" : "  metrics: " + address + ":" + metricsPort + "\n")
                    .append("  cluster:\n    etcd: [").append(String.join(", ", etcd.endpoints())).append("]\n")
                    .append("    prefix: ").append(prefix).append('\n')
                    .append("    rekey-interval: ").append(rekeySeconds).append('\n')
                    .append("    rekey-grace: ").append(graceSeconds).append('\n')
                    .append("    lease-ttl: ").append(leaseSeconds).append('\n')
                    .append(pskLine)
                    .append("tenants:\n");
            String[] encaps = {"vxlan", "geneve"};
            for (int t = 0; t < TENANTS.length; t++) {
                y.append("  ").append(TENANTS[t]).append(": { vni: ").append(1001 + t).append(", encapsulation: ")
                        .append(encaps[t]).append(", ports: [ { type: udp, listen: ").append(address).append(':')
                        .append(listen[t]).append(", remote: ").append(address).append(':').append(remote[t])
                        .append(" } ] }\n");
            }
            return y.toString();
        }

        /** Starts the gateway from its file, then its agent. */
        Node start() throws Exception {
            Files.writeString(configFile(), yaml());
            ConfigResult r = ConfigLoader.load(configFile());
            if (!r.ok()) {
                throw new AssertionError(r.errors().toString());
            }
            config = r.orThrow();
            gateway = Gateway.start(config, Gateway.Options.DEFAULT.withPorts(Gateway.PortOpener.SYSTEM));
            agent = ClusterAgent.start(gateway, config);
            return this;
        }

        /** Leaves the cluster, then stops the gateway (a graceful stop). */
        void stop() {
            if (agent != null) {
                agent.close();
                agent = null;
            }
            if (gateway != null) {
                gateway.close();
                gateway = null;
            }
        }

        /** Stops without leaving, as a crash: the others drop it when its lease expires. */
        void crash() {
            if (agent != null) {
                agent.abandon();
                agent = null;
            }
            if (gateway != null) {
                gateway.close();
                gateway = null;
            }
        }

        void send(String tenant, byte[] frame) throws IOException {
            int t = Arrays.asList(TENANTS).indexOf(tenant);
            ends[t].send(new DatagramPacket(frame, frame.length, new InetSocketAddress(address, listen[t])));
        }

        /** The next frame delivered to this gateway's port of {@code tenant}, or null after {@code millis}. */
        byte[] take(String tenant, int millis) throws IOException {
            int t = Arrays.asList(TENANTS).indexOf(tenant);
            ends[t].setSoTimeout(millis);
            byte[] buf = new byte[9216];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                ends[t].receive(p);
            } catch (SocketTimeoutException e) {
                return null;
            }
            return Arrays.copyOf(buf, p.getLength());
        }

        void drain(String tenant) throws IOException {
            while (take(tenant, 50) != null) {
                // discard
            }
        }

        /** The MAC of a host behind this gateway: 02:13:00:00:0N:HH. */
        long mac(int host) {
            return 0x0213_0000_0000L | ((long) n << 8) | host;
        }

        void closeSockets() {
            for (DatagramSocket s : ends) {
                if (s != null) {
                    s.close();
                }
            }
        }
    }

    ClusterLab() throws IOException {
        this.dir = Files.createTempDirectory("cluster-lab-");
        this.etcd = LocalEtcd.start(Files.createDirectory(dir.resolve("etcd")), 3, Duration.ofSeconds(60));
        this.prefix = "/overlay/lab-" + Long.toHexString(System.nanoTime() & 0xFFFFFF);
        List<String> all = List.of("127.0.13.1", "127.0.13.2", "127.0.13.3", "127.0.13.4");
        // Every port at once, the test's ends already bound: a port closed and chosen again
        // (the kernel may hand a freed port out next) would collide.
        for (int n = 1; n <= MAX_NODES; n++) {
            nodes.put(n, new Node(n));
        }
        int[] ports = FreePorts.udp(all, 3 + MAX_NODES * TENANTS.length);
        this.esp = ports[0];
        this.vxlan = ports[1];
        this.geneve = ports[2];
        for (int n = 1; n <= MAX_NODES; n++) {
            for (int t = 0; t < TENANTS.length; t++) {
                nodes.get(n).listen[t] = ports[3 + (n - 1) * TENANTS.length + t];
            }
        }
    }

    Node node(int n) {
        return nodes.get(n);
    }

    /** An Ethernet/IPv4/UDP frame carrying {@code payload}. */
    static byte[] frame(long dst, long src, String payload) {
        byte[] data = payload.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(14 + 20 + 8 + data.length);
        b.putShort((short) (dst >>> 32)).putInt((int) dst).putShort((short) (src >>> 32)).putInt((int) src)
                .putShort((short) 0x0800);
        b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + 8 + data.length)).putInt(0).put((byte) 64)
                .put((byte) 17).putShort((short) 0).put(new byte[] {10, 0, 0, 1}).put(new byte[] {10, 0, 0, 2});
        b.putShort((short) 40000).putShort((short) 5001).putShort((short) (8 + data.length)).putShort((short) 0).put(data);
        return b.array();
    }

    static String payload(byte[] frame) {
        return new String(frame, 42, frame.length - 42, StandardCharsets.US_ASCII);
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    /** Every pair of the running nodes sends to each other in every tenant. */
    boolean fullMesh(int... ns) {
        for (int a : ns) {
            ClusterAgent.Status s = nodes.get(a).agent.status();
            for (int b : ns) {
                if (a != b) {
                    for (String t : TENANTS) {
                        if (!s.ready().contains("gw-" + b + "/" + t)) {
                            return false;
                        }
                    }
                }
            }
        }
        return true;
    }

    /**
     * Numbered frames from a host behind {@code from} to one behind {@code to} on blue, paced at
     * {@code perSecond}, and a receiver that notes each number that arrives.
     */
    static final class Stream {
        final String tag;
        final int count;
        final BitSet got = new BitSet();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final Thread sender;
        private final Thread receiver;

        Stream(Node from, Node to, String tag, int count, int perSecond) {
            this.tag = tag;
            this.count = count;
            long src = from.mac(1);
            long dst = to.mac(1);
            this.receiver = Thread.ofPlatform().name("stream-rx-" + tag).start(() -> {
                try {
                    while (true) {
                        byte[] f = to.take("blue", 4000);
                        if (f == null) {
                            return;
                        }
                        String p = payload(f);
                        if (p.startsWith(tag + " ")) {
                            synchronized (got) {
                                got.set(Integer.parseInt(p.substring(tag.length() + 1)));
                                if (got.cardinality() == count) {
                                    return;
                                }
                            }
                        }
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            this.sender = Thread.ofPlatform().name("stream-tx-" + tag).start(() -> {
                try {
                    long start = System.nanoTime();
                    for (int i = 0; i < count; i++) {
                        from.send("blue", frame(dst, src, tag + " " + i));
                        long wait = start + TimeUnit.SECONDS.toNanos(1) * (i + 1) / perSecond - System.nanoTime();
                        if (wait > 0) {
                            TimeUnit.NANOSECONDS.sleep(wait);
                        }
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
        }

        boolean sending() {
            return sender.isAlive();
        }

        /** Waits for both ends; the frames that never arrived. */
        int lost() throws InterruptedException {
            sender.join();
            receiver.join();
            if (failure.get() != null) {
                throw new AssertionError(tag, failure.get());
            }
            synchronized (got) {
                return count - got.cardinality();
            }
        }
    }

    /**
     * Both hosts (mac(1)) of {@code a} and {@code b} known at the other, so streams between them
     * are unicast; the hellos that taught them are then drained from both ends' blue sockets.
     */
    static void introduce(Node a, Node b) throws Exception {
        a.send("blue", frame(MacAddress.BROADCAST.value(), a.mac(1), "hello"));
        b.send("blue", frame(MacAddress.BROADCAST.value(), b.mac(1), "hello"));
        await(a.name + " and " + b.name + " know each other's host", Duration.ofSeconds(10),
                () -> b.name.equals(a.gateway.topology().tenant("blue").fdb().lookup(b.mac(1)))
                        && a.name.equals(b.gateway.topology().tenant("blue").fdb().lookup(a.mac(1))));
        a.drain("blue");
        b.drain("blue");
    }

    /** Starts gateways 1 to {@code n} and waits (30 s at most) until each has SAs to every other for every tenant. */
    void startMeshed(int n) throws Exception {
        int[] ids = new int[n];
        for (int i = 1; i <= n; i++) {
            node(i).start();
            ids[i - 1] = i;
        }
        await("a full mesh", Duration.ofSeconds(30), () -> fullMesh(ids));
    }

    /** The drops that mean an SA was missing or wrong on some packet: what make before break must keep at 0. */
    static long saDrops(GatewayStats s) {
        return s.drops("unknown-spi") + s.drops("integrity") + s.drops("no-sa") + s.drops("replay");
    }

    @Override
    public void close() {
        for (Node n : nodes.values()) {
            try {
                n.crash();
            } catch (RuntimeException e) {
                // keep closing the rest
            }
            n.closeSockets();
        }
        etcd.close();
    }

    static long millisSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }
}
