package dev.overlay.gateway.port;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * An existing interface (a veth end, a physical NIC, a bridge port) as a tenant port, the config's
 * {@code { type: pcap, interface: IF }}: read and written through an AF_PACKET socket
 * ({@link PacketSocket}) bound to it, promiscuous, inbound frames only, so what {@link #send}
 * injects is never read back into the overlay.
 *
 * <p>Offloads: with transmit checksum offload and TSO/GSO on (the default of veth and of nearly
 * every NIC), the frames a packet socket sees leaving the tenant's stack carry TCP and UDP
 * checksums nobody has computed yet (CHECKSUM_PARTIAL) and may be 64 KB super-frames. The socket
 * reads with PACKET_VNET_HDR, so each frame comes with a {@link VirtioNetHeader} saying so, and the
 * reader ({@link PacketReader}) finishes them as the TAP port's does ({@link SoftwareOffloads}):
 * checksums completed, TCP and UDP super-frames cut into the segments the wire would carry. On
 * send, a worker's in-order TCP segments of one flow are coalesced into one super-frame written
 * with a GSO virtio header ({@link VnetGro}): the kernel takes 64 KB per write and segments it
 * only if the tenant's side cannot take it whole. Without PACKET_VNET_HDR (a kernel that refuses
 * it, or {@code -Doverlay.pcap.vnet-hdr=false}) the port says so once, completes every checksum
 * the kernel marks not ready, cuts TCP super-frames at the interface MTU, and writes frame by frame.
 *
 * <p>Costs: one recvmsg(2) per frame or super-frame into the reader's buffer and one copy into a
 * pooled buffer (or one per segment); one write(2) per frame or writev(2) per coalesced train.
 * With per-worker sockets the reader thread hands the socket to a worker's event loop while
 * nearly all its frames go to that worker ({@link LoopReader}, as a TAP queue's reader does): the
 * worker reads, cuts, seals and sends them itself, with no thread to wake and no hand-off.
 *
 * <p>{@link #close()} signals the reader through an eventfd, joins it, waits for senders inside a
 * write to leave, and only then closes the socket, so no call lands on a reused descriptor number.
 */
final class PcapPort implements TenantPort, VnetGro.Device {
    private static final Logger LOG = Logger.getLogger(PcapPort.class.getName());
    /**
     * {@code -Doverlay.pcap.gro=false}: sendHeld writes each frame at once instead of coalescing a
     * TCP flow's segments (for A/B measurement, and as a way out).
     */
    private static final boolean GRO = !"false".equals(System.getProperty("overlay.pcap.gro"));
    /**
     * How long the reader waits for room in a full worker queue before dropping: longer than a
     * TAP reader's 2 ms, because nothing slows the tenant's TCP here (the kernel returns the
     * sender's buffer as soon as its own stack is done with the frame, so TCP's small-queue limit
     * never applies) and the socket's receive buffer is the only place a burst can wait.
     */
    static final long READER_MAX_WAIT_NANOS = 20_000_000;

    private final String interfaceName;
    private final String name;
    private final PacketSocket socket;
    /** The socket, counted while a sender is inside a write on it. */
    private final TapQueue gate;
    private final int wakeFd;
    private final ByteBufAllocator alloc;
    private final PortCounters counters = new PortCounters();
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ThreadLocal<VnetGro> gro = ThreadLocal.withInitial(() -> new VnetGro(this));
    private volatile Thread reader;
    /** The worker half of the reader ({@link LoopReader}), once the reader made it (tests). */
    private volatile LoopReader loopReader;

    private PcapPort(String interfaceName, PacketSocket socket, int wakeFd, ByteBufAllocator alloc) {
        this.interfaceName = interfaceName;
        this.name = "pcap:" + interfaceName;
        this.socket = socket;
        this.gate = new TapQueue(socket.fd);
        this.wakeFd = wakeFd;
        this.alloc = alloc;
    }

    static PcapPort open(String interfaceName, ByteBufAllocator alloc) throws PortException {
        return open(PacketSocket.open(interfaceName), interfaceName, alloc);
    }

    /** As {@link #open(String, ByteBufAllocator)}, reading without PACKET_VNET_HDR when {@code vnetHeader} is false (tests). */
    static PcapPort open(String interfaceName, boolean vnetHeader, ByteBufAllocator alloc) throws PortException {
        return open(PacketSocket.open(interfaceName, vnetHeader), interfaceName, alloc);
    }

    private static PcapPort open(PacketSocket socket, String interfaceName, ByteBufAllocator alloc) throws PortException {
        int wakeFd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (wakeFd < 0) {
            int errno = Libc.errno();
            Libc.close(socket.fd);
            throw new PortException("pcap " + interfaceName + ": eventfd: " + Libc.strerror(errno));
        }
        return new PcapPort(interfaceName, socket, wakeFd, alloc);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String path() {
        return socket.path;
    }

    @Override
    public synchronized void start(FrameSink sink) {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException(name + ": already started");
        }
        if (closed.get()) {
            return;
        }
        Thread thread = PacketThreads.daemon("port-" + name,
                new PacketReader(this, socket, wakeFd, closed, alloc, counters, sink));
        reader = thread;
        thread.start();
    }

    /** The reader's worker half, or null while there is none (tests watch hand-overs through it). */
    LoopReader loopReader() {
        return loopReader;
    }

    /** The reader made its worker half (it stops it before it ends). */
    void adopt(LoopReader half) {
        loopReader = half;
    }

    @Override
    public int queuesOnWorkers() {
        LoopReader r = loopReader;
        return r != null && r.worker() >= 0 ? 1 : 0;
    }

    @Override
    public long readerMoves() {
        LoopReader r = loopReader;
        return r == null ? 0 : r.moves();
    }

    /** The reader has a thread of its own and the socket's 4 MB receive buffer holds frames meanwhile. */
    @Override
    public long readerMayWaitNanos() {
        return READER_MAX_WAIT_NANOS;
    }

    @Override
    public boolean send(ByteBuf frame) {
        return VnetSend.frame(gate, socket.vnetHeader, closed, frame, alloc, counters, LOG, name);
    }

    @Override
    public void sendHeld(ByteBuf frame) {
        if (GRO && socket.vnetHeader) {
            gro.get().coalescer.offer(frame);
        } else {
            send(frame);
        }
    }

    @Override
    public void flush() {
        if (GRO && socket.vnetHeader) {
            gro.get().coalescer.flush();
        }
    }

    @Override
    public ByteBufAllocator alloc() {
        return alloc;
    }

    @Override
    public void writeTrain(ByteBuf[] parts, int count, long iov, long total, int segments, int headerLength) {
        VnetSend.train(gate, closed, parts, count, iov, total, segments, headerLength, counters, LOG, name);
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
        // Never read back, so the eventfd stays readable and the reader wakes whenever it polls.
        Libc.eventfdSignal(wakeFd);
        boolean interrupted = false;
        Thread thread = reader;
        while (thread != null && thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        gate.awaitIdle();
        Libc.close(socket.fd);
        Libc.close(wakeFd);
        LOG.fine(() -> name + ": closed " + interfaceName);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
