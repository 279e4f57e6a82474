package dev.overlay.gateway.port;

import dev.overlay.config.PortConfig;
import dev.overlay.datapath.Buffers;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * One Ethernet frame per UDP datagram, as QEMU's {@code -netdev dgram} and {@code -netdev socket,udp=}
 * exchange them: bound to {@code listen}, sending to {@code remote}.
 *
 * <p>Security: only datagrams whose source is exactly {@code remote} (address and port) are taken;
 * anything else is dropped and counted in rxErrors. QEMU itself accepts any source, but a tenant
 * port must not let any local process inject frames into a tenant's overlay. The socket is not
 * connect()ed, so a remote that is not yet listening costs nothing (no ECONNREFUSED churn) and the
 * drops stay visible in the counters.
 *
 * <p>Zero-copy receive: {@link HeadroomRecvAllocator} gives Netty pooled direct buffers whose writer
 * index already sits at {@link Buffers#HEADROOM}, so the datagram lands where the datapath wants
 * it (NIO transport: see {@link EventLoopGroups} for why not epoll). Sends are handed to the
 * channel's event loop: one task, one promise and one sendto(2) per frame.
 */
final class UdpPort implements TenantPort {
    private static final Logger LOG = Logger.getLogger(UdpPort.class.getName());

    private final String name;
    private final InetSocketAddress remote;
    private final Channel channel;
    private final ByteBufAllocator alloc;
    private final EventLoopGroups.Owned ownedGroup;
    private final Reader reader = new Reader();
    private final PortCounters counters = new PortCounters();
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();

    private UdpPort(String name, InetSocketAddress remote, Channel channel, ByteBufAllocator alloc,
            EventLoopGroups.Owned ownedGroup) {
        this.name = name;
        this.remote = remote;
        this.channel = channel;
        this.alloc = alloc;
        this.ownedGroup = ownedGroup;
    }

    /** Binds {@code config.listen()} on {@code shared}, or on a one-thread group of its own when null. */
    static UdpPort open(PortConfig.UdpPort config, ByteBufAllocator alloc, EventLoopGroup shared) throws PortException {
        InetSocketAddress listen = config.listen();
        String name = "udp:" + EventLoopGroups.hostPort(listen);
        if (listen.isUnresolved() || config.remote().isUnresolved()) {
            throw new PortException("udp " + EventLoopGroups.hostPort(listen) + ": address "
                    + (listen.isUnresolved() ? listen : config.remote()).getHostString() + " is not resolved");
        }
        EventLoopGroups.Owned owned = shared == null ? EventLoopGroups.owned(1, "port-" + name) : null;
        EventLoopGroup group = shared == null ? owned.group() : shared;
        UdpPort[] port = new UdpPort[1];
        Bootstrap bootstrap = new Bootstrap()
                .group(group)
                .channelFactory(EventLoopGroups.datagramChannels(group, listen.getAddress()))
                .option(ChannelOption.ALLOCATOR, alloc)
                .option(ChannelOption.RECVBUF_ALLOCATOR, EventLoopGroups.isEpoll(group)
                        ? new FixedRecvByteBufAllocator(Ports.MAX_FRAME + Buffers.TAILROOM)
                        : new HeadroomRecvAllocator())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.SO_RCVBUF, 1 << 20)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 << 10, 1 << 20))
                .handler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        port[0].reader.channelRead(msg);
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        port[0].reader.exceptionCaught(cause);
                    }
                });
        ChannelFuture bound = bootstrap.bind(listen).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            bound.channel().close().awaitUninterruptibly();
            if (owned != null) {
                owned.shutdown();
            }
            throw new PortException("udp " + EventLoopGroups.hostPort(listen) + ": cannot bind: "
                    + EventLoopGroups.describeBindFailure(bound.cause()), bound.cause());
        }
        port[0] = new UdpPort(name, config.remote(), bound.channel(), alloc, owned);
        return port[0];
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void start(FrameSink sink) {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException(name + ": already started");
        }
        reader.sink = sink;
        channel.config().setAutoRead(true);
    }

    @Override
    public boolean send(ByteBuf frame) {
        if (closed.get() || !channel.isWritable()) {
            // Not writable: the event loop has 1 MiB queued already; dropping beats queueing forever.
            counters.txDropped.increment();
            frame.release();
            return false;
        }
        int length = frame.readableBytes();
        // The channel releases the frame once written or failed.
        channel.writeAndFlush(new DatagramPacket(frame, remote)).addListener(future -> {
            if (future.isSuccess()) {
                counters.txFrames.increment();
                counters.txBytes.add(length);
            } else {
                counters.txDropped.increment();
            }
        });
        return true;
    }

    @Override
    public PortCounters counters() {
        return counters;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        channel.close().awaitUninterruptibly();
        if (ownedGroup != null) {
            ownedGroup.shutdown();
        }
    }

    /** Inbound side, on the channel's event loop. */
    private final class Reader {
        volatile FrameSink sink;
        private boolean warned;

        void channelRead(Object msg) {
            if (!(msg instanceof DatagramPacket packet)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            ByteBuf content = packet.content();
            int length = content.readableBytes();
            FrameSink target = sink;
            if (target == null || !EventLoopGroups.sameEndpoint(packet.sender(), remote)
                    || length < 14 || length > Ports.MAX_FRAME) {
                counters.rxErrors.increment();
                packet.release();
                return;
            }
            ByteBuf frame = content;
            if (content.readerIndex() < Buffers.HEADROOM || content.writableBytes() < Buffers.TAILROOM) {
                // An epoll group's channel (see EventLoopGroups): one copy, still correct.
                frame = Buffers.copy(alloc, content);
                packet.release();
            }
            counters.rxFrames.increment();
            counters.rxBytes.add(length);
            Sinks.deliver(target, UdpPort.this, frame, LOG);
        }

        void exceptionCaught(Throwable cause) {
            if (!warned) {
                warned = true;
                LOG.warning(name + ": " + cause + " (further socket errors not logged)");
            }
        }
    }
}
