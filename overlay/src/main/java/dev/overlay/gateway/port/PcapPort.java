package dev.overlay.gateway.port;

import dev.overlay.datapath.Buffers;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapHandle.PcapDirection;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.PcapNetworkInterface.PromiscuousMode;

/**
 * An existing interface (a veth end, a physical NIC, a bridge port) read and written through
 * libpcap: promiscuous, immediate mode, and direction IN, so what {@link #send} injects is not
 * captured again and looped back into the overlay.
 *
 * <p>Costs: Pcap4J hands each captured frame over as a new byte[], which is then copied into a
 * pooled buffer with headroom; sends copy into a per-thread byte[]. Fine for a lab or a few
 * hundred Mbit/s; the TAP port is the zero-copy path.
 *
 * <p>NIC offloads: with GRO/TSO on, libpcap sees the kernel's merged super-frames (up to 64 KiB),
 * which are counted in rxErrors. Turn them off on the interface: {@code ethtool -K IF gro off
 * tso off gso off}.
 */
final class PcapPort implements TenantPort {
    private static final Logger LOG = Logger.getLogger(PcapPort.class.getName());
    static final int SNAPLEN = 262_144;
    private static final int TIMEOUT_MILLIS = 10;

    /** Per sending thread: Pcap4J sends from a byte[] only. */
    private static final ThreadLocal<byte[][]> SEND_BUFFER = ThreadLocal.withInitial(() -> new byte[][] {new byte[2048]});

    private final String interfaceName;
    private final String name;
    private final PcapHandle handle;
    private final ByteBufAllocator alloc;
    private final PortCounters counters = new PortCounters();
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean warned = new AtomicBoolean();
    private volatile Thread reader;

    private PcapPort(String interfaceName, PcapHandle handle, ByteBufAllocator alloc) {
        this.interfaceName = interfaceName;
        this.name = "pcap:" + interfaceName;
        this.handle = handle;
        this.alloc = alloc;
    }

    static PcapPort open(String interfaceName, ByteBufAllocator alloc) throws PortException {
        String prefix = "pcap " + interfaceName + ": ";
        Libpcap.prepare((message, cause) -> new PortException(prefix + message, cause));
        // /sys/class/net lists every interface of this network namespace, with or without an
        // address; NetworkInterface.getByName misses one that has no address at all (a veth
        // with IPv6 off), which is a perfectly good tenant port.
        if (interfaceName.contains("/") || !Files.exists(Path.of("/sys/class/net", interfaceName))) {
            throw new PortException(prefix + "no such interface");
        }
        try {
            PcapHandle handle = new PcapHandle.Builder(interfaceName)
                    .snaplen(SNAPLEN)
                    .promiscuousMode(PromiscuousMode.PROMISCUOUS)
                    .immediateMode(true)
                    .timeoutMillis(TIMEOUT_MILLIS)
                    .direction(PcapDirection.IN)
                    .build();
            return new PcapPort(interfaceName, handle, alloc);
        } catch (PcapNativeException e) {
            throw new PortException(prefix + describe(e.getMessage()), e);
        } catch (LinkageError e) {
            throw Libpcap.notLoadable(e, (message, cause) -> new PortException(prefix + message, cause));
        }
    }

    /** libpcap's activation errors in an operator's words. */
    static String describe(String message) {
        String m = message == null ? "" : message;
        String lower = m.toLowerCase(Locale.ROOT);
        if (lower.contains("not permitted") || lower.contains("permission")) {
            return "permission denied (needs CAP_NET_RAW)";
        }
        if (lower.contains("no such device")) {
            return "no such interface";
        }
        if (lower.contains("not up")) {
            return "the interface is down (ip link set dev IF up)";
        }
        return "cannot capture: " + m;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public synchronized void start(FrameSink sink) {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException(name + ": already started");
        }
        Thread thread = PacketThreads.daemon("port-" + name, () -> readLoop(sink));
        reader = thread;
        if (!closed.get()) {
            thread.start();
        }
    }

    private void readLoop(FrameSink sink) {
        try {
            // pcap_loop returns only on error or pcap_breakloop, which close() calls; Pcap4J then
            // throws InterruptedException.
            handle.loop(-1, (byte[] packet) -> receive(sink, packet));
        } catch (InterruptedException | NotOpenException e) {
            // closed
        } catch (PcapNativeException e) {
            if (!closed.get()) {
                LOG.severe(name + ": capture stopped: " + e.getMessage());
            }
        }
    }

    private void receive(FrameSink sink, byte[] packet) {
        if (packet.length < 14 || packet.length > Ports.MAX_FRAME) {
            counters.rxErrors.increment();
            return;
        }
        ByteBuf frame = Buffers.frame(alloc, packet, 0, packet.length);
        counters.rxFrames.increment();
        counters.rxBytes.add(packet.length);
        Sinks.deliver(sink, this, frame, LOG);
    }

    @Override
    public boolean send(ByteBuf frame) {
        try {
            int length = frame.readableBytes();
            if (closed.get()) {
                counters.txDropped.increment();
                return false;
            }
            byte[][] holder = SEND_BUFFER.get();
            if (holder[0].length < length) {
                holder[0] = new byte[Math.max(length, holder[0].length * 2)];
            }
            frame.getBytes(frame.readerIndex(), holder[0], 0, length);
            // Pcap4J holds a read lock on the handle across the call, so a concurrent close()
            // waits for it or makes it fail with NotOpenException: never a send on a freed pcap_t.
            handle.sendPacket(holder[0], length);
            counters.txFrames.increment();
            counters.txBytes.add(length);
            return true;
        } catch (NotOpenException e) {
            counters.txDropped.increment();
            return false;
        } catch (PcapNativeException e) {
            counters.txDropped.increment();
            if (warned.compareAndSet(false, true)) {
                LOG.warning(name + ": send: " + e.getMessage() + " (further send errors counted in txDropped only)");
            }
            return false;
        } finally {
            frame.release();
        }
    }

    @Override
    public PortCounters counters() {
        return counters;
    }

    @Override
    public synchronized void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        Thread thread = reader;
        if (thread != null && thread.isAlive()) {
            boolean interrupted = false;
            while (thread.isAlive()) {
                try {
                    handle.breakLoop();
                } catch (NotOpenException e) {
                    break;
                }
                try {
                    thread.join(100);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        handle.close();
        LOG.fine(() -> name + ": closed " + interfaceName);
    }
}
