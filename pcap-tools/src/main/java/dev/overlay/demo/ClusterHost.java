package dev.overlay.demo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One tenant host of {@code demo --cluster}: a socket at the {@code remote} end of a gateway's
 * {@code udp} port, sending Ethernet frames into it and noting what comes out, by the tag at the
 * start of each payload, and for numbered streams which numbers arrived.
 */
final class ClusterHost implements AutoCloseable {
    static final long BROADCAST = 0xFFFF_FFFF_FFFFL;

    private final DatagramSocket socket;
    private InetSocketAddress gateway;
    private final long mac;
    private final Map<String, Integer> counts = new ConcurrentHashMap<>();
    private final Map<String, BitSet> numbered = new ConcurrentHashMap<>();
    private final Thread reader;

    ClusterHost(String address, int gatewayIndex, int tenant) throws IOException {
        this.socket = new DatagramSocket(new InetSocketAddress(address, 0));
        socket.setReceiveBufferSize(1 << 21);
        this.mac = 0x02DE_0000_0000L | ((long) (gatewayIndex + 1) << 8) | (tenant + 1);
        this.reader = Thread.ofPlatform().daemon().name("overlay-demo-host-" + address + "-" + tenant).start(this::read);
    }

    /** The gateway's side of this host's port: {@code listen} there. */
    void gatewayPort(int port) {
        this.gateway = new InetSocketAddress(socket.getLocalAddress(), port);
    }

    /** The gateway's listen address for this host's port. */
    String gateway() {
        return gateway.getAddress().getHostAddress() + ":" + gateway.getPort();
    }

    /** This host's own address, the port's remote. */
    String address() {
        return socket.getLocalAddress().getHostAddress() + ":" + socket.getLocalPort();
    }

    long mac() {
        return mac;
    }

    void send(long dst, long src, String payload) {
        byte[] data = payload.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(14 + 20 + 8 + data.length);
        b.putShort((short) (dst >>> 32)).putInt((int) dst).putShort((short) (src >>> 32)).putInt((int) src)
                .putShort((short) 0x0800);
        b.put((byte) 0x45).put((byte) 0).putShort((short) (28 + data.length)).putInt(0).put((byte) 64).put((byte) 17)
                .putShort((short) 0).put(new byte[] {10, 0, 0, 1}).put(new byte[] {10, 0, 0, 2});
        b.putShort((short) 40000).putShort((short) 5001).putShort((short) (8 + data.length)).putShort((short) 0).put(data);
        try {
            socket.send(new DatagramPacket(b.array(), b.capacity(), gateway));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void read() {
        byte[] buf = new byte[9216];
        while (!socket.isClosed()) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(p);
            } catch (SocketException closed) {
                return;
            } catch (IOException e) {
                continue;
            }
            if (p.getLength() < 42) {
                continue;
            }
            String payload = new String(buf, 42, p.getLength() - 42, StandardCharsets.US_ASCII);
            int space = payload.indexOf(' ');
            String tag = space < 0 ? payload : payload.substring(0, space);
            counts.merge(tag, 1, Integer::sum);
            if (space > 0 && tag.startsWith("s")) {
                BitSet got = numbered.computeIfAbsent(tag, k -> new BitSet());
                synchronized (got) {
                    got.set(Integer.parseInt(payload.substring(space + 1)));
                }
            }
        }
    }

    /** Frames received whose tag starts with {@code prefix}. */
    int received(String prefix) {
        int n = 0;
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                n += e.getValue();
            }
        }
        return n;
    }

    /** Numbered frames to {@code to}, at {@code perSecond}, until stopped. */
    Stream stream(ClusterHost to, String tag, int perSecond) {
        return new Stream(this, to, tag, perSecond);
    }

    static final class Stream {
        private final ClusterHost to;
        private final String tag;
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Thread sender;
        private volatile int sent;

        Stream(ClusterHost from, ClusterHost to, String tag, int perSecond) {
            this.to = to;
            this.tag = tag;
            this.sender = Thread.ofPlatform().daemon().name("overlay-demo-stream-" + tag).start(() -> {
                long start = System.nanoTime();
                for (int i = 0; !stop.get(); i++) {
                    from.send(to.mac, from.mac, tag + " " + i);
                    sent = i + 1;
                    long wait = start + TimeUnit.SECONDS.toNanos(1) * (i + 1) / perSecond - System.nanoTime();
                    if (wait > 0) {
                        try {
                            TimeUnit.NANOSECONDS.sleep(wait);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }
            });
        }

        /** Stops sending; how many were sent. */
        int stop() {
            stop.set(true);
            try {
                sender.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return sent;
        }

        /** Sent and not (yet) received. */
        int lost() {
            BitSet got = to.numbered.getOrDefault(tag, new BitSet());
            synchronized (got) {
                return sent - got.get(0, sent).cardinality();
            }
        }
    }

    @Override
    public void close() {
        socket.close();
        try {
            reader.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
