package dev.overlay.gateway;

import dev.overlay.datapath.Buffers;
import dev.overlay.gateway.port.PortCounters;
import dev.overlay.gateway.port.TenantPort;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/** A tenant port in memory: the test injects frames as if read from a device and takes what the gateway writes. */
final class MemoryPort implements TenantPort, TwoGateways.End {
    private final String name;
    private final ByteBufAllocator alloc;
    private final PortCounters counters = new PortCounters();
    private final LinkedBlockingQueue<byte[]> written = new LinkedBlockingQueue<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile FrameSink sink;
    long timeoutMillis = 2000;

    MemoryPort(String name, ByteBufAllocator alloc) {
        this.name = name;
        this.alloc = alloc;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void start(FrameSink sink) {
        this.sink = sink;
    }

    @Override
    public boolean send(ByteBuf frame) {
        try {
            if (closed.get()) {
                counters.txDropped.increment();
                return false;
            }
            counters.txFrames.increment();
            counters.txBytes.add(frame.readableBytes());
            written.add(ByteBufUtil.getBytes(frame));
            return true;
        } finally {
            frame.release();
        }
    }

    @Override
    public PortCounters counters() {
        return counters;
    }

    @Override
    public void close() {
        closed.set(true);
    }

    boolean isClosed() {
        return closed.get();
    }

    @Override
    public void inject(byte[] frame) {
        FrameSink s = sink;
        if (s == null || closed.get()) {
            throw new IllegalStateException(name + " is not running");
        }
        counters.rxFrames.increment();
        counters.rxBytes.add(frame.length);
        s.receive(this, Buffers.frame(alloc, frame, 0, frame.length));
    }

    /** Frames as a port hands over the segments it cut from one super-frame: in one call. */
    void injectSegments(byte[]... frames) {
        FrameSink s = sink;
        if (s == null || closed.get()) {
            throw new IllegalStateException(name + " is not running");
        }
        ByteBuf[] segments = new ByteBuf[frames.length];
        for (int i = 0; i < frames.length; i++) {
            counters.rxFrames.increment();
            counters.rxBytes.add(frames[i].length);
            segments[i] = Buffers.frame(alloc, frames[i], 0, frames[i].length);
        }
        s.receiveSegments(this, segments, segments.length);
    }

    @Override
    public byte[] take() throws InterruptedException {
        return written.poll(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void timeout(long millis) {
        timeoutMillis = millis;
    }
}
