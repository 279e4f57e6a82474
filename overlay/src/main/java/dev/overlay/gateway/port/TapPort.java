package dev.overlay.gateway.port;

import dev.overlay.datapath.Buffers;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * A TAP device: one Ethernet frame per read(2) and write(2) on a /dev/net/tun file descriptor
 * (IFF_TAP | IFF_NO_PI), N descriptors for {@code queues: N} (IFF_MULTI_QUEUE: the kernel spreads
 * the device's transmit by flow hash over them), one reader thread per queue.
 *
 * <p>Each reader polls its queue and a shared eventfd; {@link #close()} signals the eventfd,
 * joins the readers, waits for senders to leave, and only then closes the descriptors, so no
 * read(2) or write(2) can ever land on a descriptor number the process has reused.
 *
 * <p>Offloads (IFF_VNET_HDR, TUNSETOFFLOAD with checksum and TSO for IPv4 and IPv6): the kernel
 * no longer cuts each 64 KB TCP send into MTU frames before the gateway sees it, it hands over one
 * super-frame with a {@link VirtioNetHeader}, which the reader ({@link TapReader}) splits into
 * MSS-sized frames ({@link SoftwareOffloads}, shared with the pcap port): one read(2) and one
 * wake-up of the kernel's stack per 64 KB instead of per frame. Each read lands in the reader's
 * own 65 KB buffer and the frame (or each segment) is copied into a pooled direct buffer after
 * {@link Buffers#HEADROOM}; a frame without GSO longer than {@link Ports#MAX_FRAME}, or a read the
 * kernel may have cut, is counted in rxErrors, never delivered truncated. Writes put a virtio
 * header asking for nothing in the frame's headroom ({@link VnetSend}), or one asking for TCP
 * segmentation before a coalesced train ({@link VnetGro}).
 */
final class TapPort implements TenantPort, VnetGro.Device {
    /** How long a reader waits for room in a full worker queue before dropping (TenantPort.readerMayWaitNanos). */
    static final long READER_MAX_WAIT_NANOS = 2_000_000;
    private static final Logger LOG = Logger.getLogger(TapPort.class.getName());
    /**
     * {@code -Doverlay.tap.gro=false}: sendHeld writes each frame at once, as send does, instead
     * of coalescing a TCP flow's segments (for A/B measurement, and as a way out).
     */
    private static final boolean GRO = !"false".equals(System.getProperty("overlay.tap.gro"));

    private final String device;
    private final String name;
    private final TapQueue[] queues;
    private final int wakeFd;
    private final ByteBufAllocator alloc;
    private final PortCounters counters = new PortCounters();
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final List<Thread> readers = new ArrayList<>();
    /** The worker halves of the queues' readers ({@link LoopReader}). */
    private final List<LoopReader> loopReaders = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Each sending thread's software GRO (sendHeld, flush). */
    private final ThreadLocal<VnetGro> gro = ThreadLocal.withInitial(() -> new VnetGro(this));

    /** The device's kernel counters (null if /proc could not be read: then no drops are counted). */
    private final NetDevCounters kernel;
    /** The device's tx_dropped at the last sample (at open: drops before the gateway are not its own). */
    private long kernelTxDropped;

    private TapPort(String device, TapQueue[] queues, int wakeFd, ByteBufAllocator alloc) {
        this.device = device;
        this.name = "tap:" + device;
        this.queues = queues;
        this.wakeFd = wakeFd;
        this.alloc = alloc;
        NetDevCounters k = null;
        try {
            k = NetDevCounters.open(device);
            kernelTxDropped = Math.max(0, k.txDropped());
        } catch (java.io.IOException e) {
            LOG.warning(name + ": cannot read /proc/net/dev (" + e.getMessage()
                    + "); frames the kernel drops at the device's full queue will not be counted");
        }
        this.kernel = k;
    }

    /** Creates (or attaches to) TAP device {@code device} with {@code queueCount} queues and brings its link up. */
    static TapPort open(String device, int queueCount, ByteBufAllocator alloc) throws PortException {
        TapDevice.checkName(device);
        TapQueue[] queues = new TapQueue[queueCount];
        int wakeFd = -1;
        boolean ok = false;
        try {
            for (int i = 0; i < queueCount; i++) {
                queues[i] = new TapQueue(TapDevice.attach(device, queueCount > 1));
            }
            TapDevice.linkUp(device);
            wakeFd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
            if (wakeFd < 0) {
                throw new PortException("tap " + device + ": eventfd: " + Libc.strerror(Libc.errno()));
            }
            ok = true;
            return new TapPort(device, queues, wakeFd, alloc);
        } finally {
            if (!ok) {
                for (TapQueue queue : queues) {
                    if (queue != null) {
                        Libc.close(queue.fd);
                    }
                }
                if (wakeFd >= 0) {
                    Libc.close(wakeFd);
                }
            }
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String path() {
        return "tun vnet-hdr" + (TapDevice.OFFLOADS ? " csum tso" : "") + (queues.length > 1 ? " multi-queue" : "");
    }

    @Override
    public synchronized void start(FrameSink sink) {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException(name + ": already started");
        }
        if (closed.get()) {
            return;
        }
        for (int i = 0; i < queues.length; i++) {
            TapQueue queue = queues[i];
            Thread reader = PacketThreads.daemon("port-" + name + "/" + i,
                    new TapReader(this, queue, wakeFd, closed, alloc, counters, sink));
            readers.add(reader);
        }
        readers.forEach(Thread::start);
    }

    /** The worker halves of the queues' readers (none without worker loops), for tests. */
    List<LoopReader> loopReaders() {
        return List.copyOf(loopReaders);
    }

    /** A queue's reader thread made its worker half (the thread stops it before it ends). */
    void adopt(LoopReader reader) {
        loopReaders.add(reader);
    }

    @Override
    public int queuesOnWorkers() {
        int n = 0;
        for (LoopReader r : loopReaders) {
            if (r.worker() >= 0) {
                n++;
            }
        }
        return n;
    }

    @Override
    public long readerMoves() {
        long n = 0;
        for (LoopReader r : loopReaders) {
            n += r.moves();
        }
        return n;
    }

    /** Each queue has a reader thread of its own and the kernel keeps the frames it has not read. */
    @Override
    public long readerMayWaitNanos() {
        return READER_MAX_WAIT_NANOS;
    }

    @Override
    public boolean send(ByteBuf frame) {
        return VnetSend.frame(queue(), true, closed, frame, alloc, counters, LOG, name);
    }

    /** Any queue may transmit; spreading senders by thread keeps them off one descriptor. */
    private TapQueue queue() {
        return queues[(int) (Thread.currentThread().threadId() % queues.length)];
    }

    @Override
    public void sendHeld(ByteBuf frame) {
        if (GRO) {
            gro.get().coalescer.offer(frame);
        } else {
            send(frame);
        }
    }

    @Override
    public void flush() {
        if (GRO) {
            gro.get().coalescer.flush();
        }
    }

    @Override
    public ByteBufAllocator alloc() {
        return alloc;
    }

    @Override
    public void writeTrain(ByteBuf[] parts, int count, long iov, long total, int segments, int headerLength) {
        VnetSend.train(queue(), closed, parts, count, iov, total, segments, headerLength, counters, LOG, name);
    }

    @Override
    public PortCounters counters() {
        return counters;
    }

    /**
     * Adds to rxKernelDrops the frames the kernel dropped at this device's full queue since the
     * last sample (its tx_dropped: the kernel's transmit is the port's receive). A smaller reading
     * than the last means the device was made anew: all of it counts.
     */
    @Override
    public synchronized void sampleKernelDrops() {
        if (kernel == null || closed.get()) {
            return;
        }
        try {
            long now = kernel.txDropped();
            if (now >= 0) {
                counters.rxKernelDrops.add(now >= kernelTxDropped ? now - kernelTxDropped : now);
                kernelTxDropped = now;
            }
        } catch (java.io.IOException e) {
            LOG.fine(() -> name + ": /proc/net/dev: " + e.getMessage());
        }
    }

    @Override
    public synchronized void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        // Never read back, so the eventfd stays readable and every poller wakes.
        Libc.eventfdSignal(wakeFd);
        boolean interrupted = false;
        for (Thread reader : readers) {
            while (reader.isAlive()) {
                try {
                    reader.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        for (TapQueue queue : queues) {
            queue.awaitIdle();
            Libc.close(queue.fd);
        }
        Libc.close(wakeFd);
        if (kernel != null) {
            try {
                kernel.close();
            } catch (java.io.IOException e) {
                LOG.fine(() -> name + ": /proc/net/dev: " + e.getMessage());
            }
        }
        LOG.fine(() -> name + ": closed (" + device + " removed by the kernel unless persistent)");
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
