package dev.overlay.gateway.port;

import dev.overlay.datapath.Buffers;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
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
 * <p>Reads land directly in a pooled direct buffer after {@link Buffers#HEADROOM}: no copy. The
 * read offers {@link Ports#MAX_FRAME} + {@link Buffers#TAILROOM} bytes; the kernel cuts a longer
 * frame to that and says nothing, so any read longer than MAX_FRAME is counted in rxErrors, never
 * delivered truncated.
 */
final class TapPort implements TenantPort {
    private static final Logger LOG = Logger.getLogger(TapPort.class.getName());
    /** Frames read without returning to poll, so a closing port is noticed under load. */
    private static final int READ_BATCH = 64;

    private final String device;
    private final String name;
    private final TapQueue[] queues;
    private final int wakeFd;
    private final ByteBufAllocator alloc;
    private final PortCounters counters = new PortCounters();
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final List<Thread> readers = new ArrayList<>();

    private TapPort(String device, TapQueue[] queues, int wakeFd, ByteBufAllocator alloc) {
        this.device = device;
        this.name = "tap:" + device;
        this.queues = queues;
        this.wakeFd = wakeFd;
        this.alloc = alloc;
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
    public synchronized void start(FrameSink sink) {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException(name + ": already started");
        }
        if (closed.get()) {
            return;
        }
        for (int i = 0; i < queues.length; i++) {
            TapQueue queue = queues[i];
            Thread reader = Thread.ofPlatform().daemon().name("port-" + name + "/" + i)
                    .unstarted(() -> readLoop(queue, sink));
            readers.add(reader);
        }
        readers.forEach(Thread::start);
    }

    /** 1. poll the queue and the wake eventfd 2. read frames into pooled direct buffers 3. hand each to the sink. */
    private void readLoop(TapQueue queue, FrameSink sink) {
        int area = Ports.MAX_FRAME + Buffers.TAILROOM;
        ByteBuf spare = null;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(2L * Libc.POLLFD_SIZE, 8);
            fds.set(ValueLayout.JAVA_INT, 0, queue.fd);
            fds.set(ValueLayout.JAVA_SHORT, 4, Libc.POLLIN);
            fds.set(ValueLayout.JAVA_INT, Libc.POLLFD_SIZE, wakeFd);
            fds.set(ValueLayout.JAVA_SHORT, Libc.POLLFD_SIZE + 4, Libc.POLLIN);
            while (!closed.get()) {
                int ready = Libc.poll(fds, 2, -1);
                if (ready < 0) {
                    int errno = Libc.errno();
                    if (errno == Libc.EINTR) {
                        continue;
                    }
                    LOG.severe(name + ": poll: " + Libc.strerror(errno) + "; reader stopped");
                    return;
                }
                if (fds.get(ValueLayout.JAVA_SHORT, Libc.POLLFD_SIZE + 6) != 0) {
                    return; // close() signalled the eventfd
                }
                for (int n = 0; n < READ_BATCH; n++) {
                    if (spare == null) {
                        spare = alloc.directBuffer(Buffers.HEADROOM + area);
                    }
                    long address = NativeMemory.address(spare, Buffers.HEADROOM, area);
                    long length = Libc.read(queue.fd, address, area);
                    if (length < 0) {
                        int errno = Libc.errno();
                        if (errno == Libc.EAGAIN || errno == Libc.EINTR) {
                            break;
                        }
                        // EBADFD: the device was deleted under us (ip link del); nothing more will come.
                        LOG.severe(name + ": read: " + Libc.strerror(errno) + "; reader stopped");
                        return;
                    }
                    if (length < 14 || length > Ports.MAX_FRAME) {
                        counters.rxErrors.increment();
                        continue; // the spare buffer is reused
                    }
                    ByteBuf frame = spare;
                    spare = null;
                    frame.setIndex(Buffers.HEADROOM, Buffers.HEADROOM + (int) length);
                    counters.rxFrames.increment();
                    counters.rxBytes.add(length);
                    deliver(sink, frame);
                }
            }
        } finally {
            if (spare != null) {
                spare.release();
            }
        }
    }

    private void deliver(FrameSink sink, ByteBuf frame) {
        try {
            sink.receive(this, frame);
        } catch (RuntimeException e) {
            // The sink owns the frame even when it throws; a bug there must not stop the port.
            LOG.log(Level.SEVERE, name + ": frame sink failed", e);
        }
    }

    @Override
    public boolean send(ByteBuf frame) {
        try {
            int length = frame.readableBytes();
            // Any queue may transmit; spreading senders by thread keeps them off one descriptor.
            TapQueue queue = queues[(int) (Thread.currentThread().threadId() % queues.length)];
            if (!queue.enter(closed)) {
                counters.txDropped.increment();
                return false;
            }
            long written;
            int errno = 0;
            try {
                written = Libc.write(queue.fd, NativeMemory.readable(frame), length);
                if (written < 0) {
                    errno = Libc.errno();
                }
            } finally {
                queue.leave();
            }
            if (written == length) {
                counters.txFrames.increment();
                counters.txBytes.add(length);
                return true;
            }
            counters.txDropped.increment();
            if (errno != Libc.EAGAIN && errno != Libc.ENOBUFS && errno != Libc.EINTR) {
                queue.warnOnce(LOG, name + ": write: " + (errno == 0 ? "short write" : Libc.strerror(errno))
                        + " (further write errors counted in txDropped only)");
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
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment one = arena.allocate(ValueLayout.JAVA_LONG);
            one.set(ValueLayout.JAVA_LONG, 0, 1L);
            // Never read back, so the eventfd stays readable and every poller wakes.
            Libc.write(wakeFd, one.address(), 8);
        }
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
        LOG.fine(() -> name + ": closed (" + device + " removed by the kernel unless persistent)");
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
