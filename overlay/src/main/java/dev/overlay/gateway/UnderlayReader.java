package dev.overlay.gateway;

import dev.overlay.steering.Burst;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;

/**
 * One underlay socket's reader: each datagram to the {@link Pipeline} (ESP by SPI, cleartext by
 * its sender), then at the end of the read the owners it handed packets to are woken once each
 * and, on a worker's own socket, the batch end of what the worker ran itself.
 */
final class UnderlayReader extends ChannelInboundHandlerAdapter {
    private final Pipeline pipeline;
    private final Underlay.Kind kind;
    private final int port;
    /** The worker whose loop reads this channel, or -1 for the shared I/O thread. */
    private final int worker;
    private final LongAdder rxPackets;
    private final SharedDrops drops;
    private final EventLog log;
    /** This channel's: a channel reads on one event loop thread only. */
    private final Burst<Job> burst;

    UnderlayReader(Pipeline pipeline, Underlay.Kind kind, int port, int worker, LongAdder rxPackets, SharedDrops drops,
                   EventLog log) {
        this.pipeline = pipeline;
        this.kind = kind;
        this.port = port;
        this.worker = worker;
        this.rxPackets = rxPackets;
        this.drops = drops;
        this.log = log;
        this.burst = pipeline.rxBurst();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof DatagramPacket p)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        rxPackets.increment();
        // The envelope's reference count is its content's: the pipeline now owns both.
        switch (kind) {
            case ESP -> pipeline.receiveEsp(p.content(), p.sender(), port, burst, worker);
            case VXLAN -> pipeline.receiveOverlay(p.content(), p.sender(), port, false, burst);
            case GENEVE -> pipeline.receiveOverlay(p.content(), p.sender(), port, true, burst);
        }
    }

    /** The end of one read: wake the owners of what it brought, once each. */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        burst.flush();
        if (worker >= 0) {
            pipeline.endInline(worker); // the batch end of what this worker ran itself
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        burst.flush(); // a read that failed half-way still handed some datagrams on
        if (worker >= 0) {
            pipeline.endInline(worker);
        }
        // Sends use the void promise, so a datagram the kernel refused (no route, ICMP
        // unreachable reported on the socket) surfaces here: it is lost, so it is counted.
        drops.add(GatewayDrop.UNDERLAY_SEND_FAILED);
        log.fine("underlay-error", "socket", kind.name().toLowerCase(Locale.ROOT),
                "error", String.valueOf(cause.getMessage()));
    }
}
