package dev.overlay.gateway;

import dev.overlay.config.GatewayConfig;
import dev.overlay.gateway.port.PortException;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MaxMessagesRecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.unix.SegmentedDatagramPacket;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The underlay sockets: ESP in UDP on esp-port (RFC 3948) or ESP as IP protocol 50
 * ({@link RawEspSocket}), and cleartext VXLAN and Geneve on their ports once a tenant with
 * {@code security: none} needs them. Netty's epoll transport where it loads (recvmmsg through
 * {@code MAX_DATAGRAM_PAYLOAD_SIZE}, sendmmsg when a batch is flushed), NIO otherwise.
 *
 * <p>Receive runs on the event loop and hands each datagram to the {@link Pipeline}, waking each
 * owner worker once per read (the recvmmsg batch) rather than once per datagram; send runs on
 * the workers: each write is queued to the channel and the worker flushes once per batch.
 *
 * <p>UDP GSO and GRO where the kernel has them (Linux 4.18 and 5.0): a worker's consecutive
 * datagrams of one size to one destination leave as one {@link SegmentedDatagramPacket}
 * ({@code UDP_SEGMENT}; see {@link UdpTrain}), one pass through the kernel's UDP/IP path for up
 * to 64 of them, and the sockets read with {@code UDP_GRO}, so such a train from a peer arrives
 * in one recvmsg, which Netty cuts back into one {@link DatagramPacket} per datagram before
 * {@link Reader} sees them (with GRO a read is recvmsg, not recvmmsg: see readOptions). Neither changes a byte on the wire. The system properties
 * {@code overlay.underlay.gso} and {@code overlay.underlay.gro} ({@code false}) turn them off,
 * for comparison.
 */
final class Underlay implements AutoCloseable {
    /**
     * Largest datagram read; bigger ones are truncated and fail their ICV. Jumbo frames fit.
     * {@link dev.overlay.config.TenantMtu#MAX_OUTER_PACKET} bounds the tenant MTU by it.
     */
    static final int MAX_DATAGRAM = 9216;
    /** With UDP_GRO a read slot must hold a whole coalesced train: the largest UDP payload. */
    static final int MAX_GRO_DATAGRAM = 65535;
    /** recvmmsg slots per read without GRO. */
    private static final int SLOTS = 32;
    /**
     * Datagrams one read event of a socket on the shared I/O thread takes before the reader's batch
     * ends (Netty's maxMessagesPerRead, which counts each datagram of a GRO train; 1, Netty's
     * default for an allocator made by hand: one read a wake-up). A batch end is where the reader
     * wakes the workers it handed packets to, so a longer batch there lets a flood read on that
     * thread reach the workers in bursts: at 128 the adversarial test's cleartext flood, read
     * beside legitimate traffic, lost packets to congestion (2 of 3 runs). So it stays 1 unless
     * {@code overlay.underlay.read-datagrams} says otherwise.
     */
    static final int READ_DATAGRAMS = Math.max(1, Integer.getInteger("overlay.underlay.read-datagrams", 1));
    /**
     * The same for a worker's own ESP socket (one per worker), read by the owner of the SAs the
     * kernel steers to it by SPI, which opens and writes them itself: nothing is handed on, so a
     * long batch congests no one (under hash steering some are, at most 128 a batch, an eighth of
     * an owner's queue). Its batch end is where the worker writes its TAP and pcap trains, so
     * a budget above one GRO train lets software GRO join a tenant's 64 KB TSO frame that the
     * sender's UDP train cut in two (a train is one IP datagram: at most 64 KB, 44 ESP datagrams of
     * 1,480 bytes, against the 47 segments of 1,368 such a frame holds): 36.7 segments a TAP write
     * against 23.9, so the receiving tenant sends fewer ACKs and the sending gateway has fewer to
     * carry. Measured (bin/bench-e2e, TCP 1 stream, 3 pairs alternated): the sending gateway
     * 0.131-0.143 cores per Gbit/s against 0.147-0.171, both cores 84-85% busy against 90-93%,
     * throughput the same within the host's noise (README). {@code
     * overlay.underlay.worker-read-datagrams} overrides it.
     */
    static final int WORKER_READ_DATAGRAMS = Math.max(1, Integer.getInteger("overlay.underlay.worker-read-datagrams", 128));

    private final GatewayConfig gateway;
    private final EventLoopGroup group;
    private final ByteBufAllocator alloc;
    private final SharedDrops drops;
    private final EventLog log;
    final LongAdder rxPackets = new LongAdder();
    final LongAdder txPackets = new LongAdder();
    /** UDP GSO sends and the datagrams they carried (each also in txPackets). */
    final LongAdder gsoSends = new LongAdder();
    final LongAdder gsoDatagrams = new LongAdder();
    /** One per worker, used by that worker only; null when GSO is off. */
    private final UdpTrain[] trains;
    private volatile boolean gso;
    private final boolean gro;
    private Pipeline pipeline;
    /** Per-worker event loops driven by the workers, or null: one shared ESP socket on the I/O thread. */
    private final WorkerLoops loops;
    /** With loops: worker i's ESP socket, one SO_REUSEPORT group on esp-port; else null. */
    private volatile Channel[] espByWorker;
    /** The steering program's state, for the log: what the last {@link #steer} did. */
    private volatile String steering = "none";
    private volatile Channel esp;
    private volatile Channel vxlan;
    private volatile Channel geneve;
    private volatile RawEspSocket raw;
    private volatile boolean closed;

    Underlay(GatewayConfig gateway, EventLoopGroup group, ByteBufAllocator alloc, SharedDrops drops, EventLog log,
             WorkerLoops loops) {
        this.log = log;
        this.loops = loops;
        this.gateway = gateway;
        this.group = group;
        this.alloc = alloc;
        this.drops = drops;
        this.gro = Epoll.isAvailable() && !"false".equals(System.getProperty("overlay.underlay.gro"));
        this.gso = gatewayGsoEnabled();
        if (gso) {
            // The kernel refuses a segment size above the path MTU less the IP and UDP headers.
            int ipHeader = gateway.ipv6() ? 40 : 20;
            int maxBytes = gateway.ipv6() ? 65535 - 8 : 65535 - 20 - 8;
            this.trains = new UdpTrain[gateway.workers()];
            for (int i = 0; i < trains.length; i++) {
                trains[i] = new UdpTrain(gateway.underlayMtu() - ipHeader - 8, maxBytes);
            }
        } else {
            this.trains = null;
        }
    }

    private static boolean gatewayGsoEnabled() {
        return Epoll.isAvailable() && EpollDatagramChannel.isSegmentedDatagramPacketSupported()
                && !"false".equals(System.getProperty("overlay.underlay.gso"));
    }

    /** Whether this underlay sends trains with UDP GSO (until a send fails). */
    boolean gso() {
        return gso;
    }

    /** Whether its sockets read with UDP_GRO. */
    boolean gro() {
        return gro;
    }

    /** Epoll where the native library loads, else NIO: the event loop's I/O handler. */
    static IoHandlerFactory ioHandlerFactory() {
        return Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    }

    static String transportName() {
        return Epoll.isAvailable() ? "epoll" : "nio";
    }

    /**
     * Opens the ESP socket (UDP or protocol 50) and, when {@code cleartext}, the VXLAN and Geneve
     * ones. A socket that cannot be opened is one sentence in a {@link PortException}.
     */
    void open(Pipeline pipeline, boolean cleartext) throws PortException {
        this.pipeline = pipeline;
        if (gateway.espTransport() == GatewayConfig.EspTransport.IP) {
            raw = RawEspSocket.open(gateway.address(), alloc, MAX_DATAGRAM, pipeline,
                    "overlay-" + gateway.name() + "-esp-raw",
                    FragmentationOptions.of(gateway.ipv6(), gateway.fragmentationAllowed()));
        } else if (loops != null) {
            bindPerWorker();
        } else {
            esp = bind("esp-port", gateway.espPort(), Kind.ESP);
        }
        if (cleartext) {
            openCleartext();
        }
    }

    /** Opens the VXLAN and Geneve sockets if they are not open yet (a reload added a cleartext tenant). */
    synchronized void openCleartext() throws PortException {
        if (vxlan == null) {
            vxlan = bind("vxlan-port", gateway.vxlanPort(), Kind.VXLAN);
        }
        if (geneve == null) {
            geneve = bind("geneve-port", gateway.genevePort(), Kind.GENEVE);
        }
    }

    enum Kind { ESP, VXLAN, GENEVE }

    /**
     * One ESP socket per worker on esp-port, in one SO_REUSEPORT group, each registered on its
     * worker's loop (the workers run: the pool starts before the underlay opens). The group's
     * order is the workers' order, which the steering program's socket indexes rely on.
     */
    private void bindPerWorker() throws PortException {
        Channel[] chs = new Channel[loops.workers()];
        int port = gateway.espPort();
        try {
            for (int i = 0; i < chs.length; i++) {
                chs[i] = bind("esp-port", port, Kind.ESP, loops.loop(i), i);
                port = ((InetSocketAddress) chs[i].localAddress()).getPort(); // port 0: the others join the first
            }
        } catch (PortException e) {
            for (Channel ch : chs) {
                if (ch != null) {
                    ch.close().syncUninterruptibly();
                }
            }
            throw e;
        }
        espByWorker = chs;
        esp = chs[0];
    }

    /**
     * Points the kernel's choice of ESP socket at each inbound SA's owner ({@link ReuseportSteering}),
     * or, with {@code bySpi} false (steering {@code flow}), leaves it to the kernel's 4-tuple hash.
     * No-op without per-worker sockets. Called at start and after each reload.
     */
    void steer(Map<Integer, Integer> owners, boolean bySpi) {
        Channel[] chs = espByWorker;
        if (chs == null) {
            return;
        }
        int fd = ((EpollDatagramChannel) chs[0]).fd().intValue();
        ReuseportSteering.Instruction[] program = bySpi ? ReuseportSteering.program(owners, chs.length) : null;
        String failed = ReuseportSteering.attach(fd, program);
        String now = failed != null ? "hash (the kernel refused the program: " + failed + ")"
                : program != null ? "spi (" + owners.size() + " SAs)"
                : bySpi ? "hash (" + owners.size() + " SAs do not fit in one program)" : "hash (steering flow)";
        if (!now.equals(steering)) {
            steering = now;
            log.info("underlay-steering", "sockets", chs.length, "by", now);
        }
    }

    /** Whether each worker reads an ESP socket of its own. */
    boolean workerSockets() {
        return espByWorker != null;
    }

    /**
     * Datagrams one read event takes on each open socket, by role: {@code esp-worker-N} (a worker's
     * own ESP socket), {@code esp}, {@code vxlan}, {@code geneve} (on the shared I/O thread).
     */
    Map<String, Integer> readBudgets() {
        Map<String, Integer> budgets = new TreeMap<>();
        Channel[] chs = espByWorker;
        if (chs != null) {
            for (int i = 0; i < chs.length; i++) {
                budgets.put("esp-worker-" + i, readBudget(chs[i]));
            }
        } else if (esp != null) {
            budgets.put("esp", readBudget(esp));
        }
        if (vxlan != null) {
            budgets.put("vxlan", readBudget(vxlan));
        }
        if (geneve != null) {
            budgets.put("geneve", readBudget(geneve));
        }
        return budgets;
    }

    private static int readBudget(Channel ch) {
        return ((MaxMessagesRecvByteBufAllocator) ch.config().getRecvByteBufAllocator()).maxMessagesPerRead();
    }

    /** How the kernel picks among the per-worker ESP sockets; "none" with one shared socket. */
    String steering() {
        return steering;
    }

    private Channel bind(String what, int port, Kind kind) throws PortException {
        return bind(what, port, kind, group, -1);
    }

    private Channel bind(String what, int port, Kind kind, EventLoopGroup on, int worker) throws PortException {
        boolean epoll = Epoll.isAvailable();
        SocketProtocolFamily family = gateway.ipv6() ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET;
        Bootstrap b = new Bootstrap().group(on)
                .channelFactory(() -> epoll ? new EpollDatagramChannel(family) : new NioDatagramChannel(family))
                .option(ChannelOption.ALLOCATOR, alloc)
                .option(ChannelOption.SO_RCVBUF, 4 << 20)
                .option(ChannelOption.SO_SNDBUF, 4 << 20)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(1 << 20, 4 << 20))
                .handler(new UnderlayReader(pipeline, kind, port, worker, rxPackets, drops, log));
        if (worker >= 0) {
            b.option(EpollChannelOption.SO_REUSEPORT, true);
        }
        readOptions(b, epoll, gro, worker >= 0 ? WORKER_READ_DATAGRAMS : READ_DATAGRAMS);
        FragmentationOptions.apply(b, epoll, gateway.ipv6(), gateway.fragmentationAllowed());
        InetSocketAddress local = new InetSocketAddress(gateway.address(), port);
        try {
            return b.bind(local).sync().channel();
        } catch (Exception e) {
            throw new PortException("underlay " + what + ": cannot bind UDP " + Addresses.hostPort(local) + ": "
                    + Addresses.reason(e));
        }
    }

    /**
     * How an underlay socket reads: recvmmsg into fixed slots, and with {@code gro} UDP_GRO; up to
     * {@code budget} datagrams a read event ({@link #READ_DATAGRAMS}, {@link #WORKER_READ_DATAGRAMS}).
     */
    static void readOptions(Bootstrap b, boolean epoll, boolean gro, int budget) {
        if (epoll && gro) {
            // A GRO read returns a train in one slot, and a slot shorter than the train truncates
            // it. One slot per read: Netty (4.2.18) reads the segment size (the UDP_GRO cmsg) and
            // cuts the train back into datagrams only on its recvmsg path, not after recvmmsg,
            // where a train would reach the pipeline whole and fail its ICV.
            b.option(EpollChannelOption.UDP_GRO, true)
                    .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, MAX_GRO_DATAGRAM)
                    .option(ChannelOption.RECVBUF_ALLOCATOR, readBudget(MAX_GRO_DATAGRAM, budget));
        } else if (epoll) {
            // recvmmsg: one read fills up to 32 datagrams of at most MAX_DATAGRAM bytes.
            b.option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, MAX_DATAGRAM)
                    .option(ChannelOption.RECVBUF_ALLOCATOR, readBudget(MAX_DATAGRAM * SLOTS, budget));
        } else {
            b.option(ChannelOption.RECVBUF_ALLOCATOR, readBudget(MAX_DATAGRAM, budget));
        }
    }

    /** Reads of {@code bytes} each, repeated until the socket is empty or {@code budget} datagrams were read. */
    private static FixedRecvByteBufAllocator readBudget(int bytes, int budget) {
        FixedRecvByteBufAllocator a = new FixedRecvByteBufAllocator(bytes);
        a.maxMessagesPerRead(Math.max(1, budget));
        return a;
    }

    /** Worker: sends an ESP packet to the peer; takes ownership. */
    void sendEsp(ByteBuf packet, View.Route route, int worker) {
        RawEspSocket r = raw;
        if (r != null) {
            if (r.send(packet, route.esp().getAddress())) {
                txPackets.increment();
            } else {
                drops.add(closed ? GatewayDrop.UNDERLAY_CLOSED : GatewayDrop.UNDERLAY_BUSY);
            }
            return;
        }
        queue(espFor(worker), packet, route.esp(), worker);
    }

    /** The worker's own ESP socket when it runs on its loop (a write with no task), else the shared one. */
    private Channel espFor(int worker) {
        Channel[] chs = espByWorker;
        return chs != null && loops.onLoop(worker) ? chs[worker] : esp;
    }

    /** Worker: sends a VXLAN or Geneve payload to the peer; takes ownership. */
    void sendOverlay(ByteBuf payload, View.Route route, boolean isGeneve, int worker) {
        queue(isGeneve ? geneve : vxlan, payload, isGeneve ? route.geneve() : route.vxlan(), worker);
    }

    /** Worker: joins the worker's train if it continues it, else sends the train and starts anew. */
    private void queue(Channel ch, ByteBuf payload, InetSocketAddress to, int worker) {
        UdpTrain train = trains != null && worker >= 0 && worker < trains.length && gso ? trains[worker] : null;
        if (train == null) {
            write(ch, payload, to);
            return;
        }
        int length = payload.readableBytes();
        if (!train.continues(ch, to, length)) {
            send(train);
        }
        if (!train.fits(length) || ch == null) {
            write(ch, payload, to);
            return;
        }
        train.add(ch, payload, to);
        if (train.full()) {
            send(train);
        }
    }

    /** Worker: the train as one GSO datagram, or a lone datagram as itself. */
    private void send(UdpTrain train) {
        int n = train.count();
        if (n == 0) {
            return;
        }
        Channel ch = train.channel();
        InetSocketAddress to = train.to();
        if (n == 1 || !gso) {
            for (int i = 0; i < n; i++) {
                write(ch, train.take(i), to);
            }
            train.clear();
            return;
        }
        if (closed || !ch.isActive() || !takesWrite(ch)) {
            GatewayDrop why = closed || !ch.isActive() ? GatewayDrop.UNDERLAY_CLOSED : GatewayDrop.UNDERLAY_BUSY;
            for (int i = 0; i < n; i++) {
                drops.add(why);
            }
            train.release();
            return;
        }
        int segment = train.segmentSize();
        txPackets.add(n);
        gsoSends.increment();
        gsoDatagrams.add(n);
        // One listener per train, not per datagram: it must know how many datagrams to count.
        ch.write(new SegmentedDatagramPacket(train.drainComposite(alloc), segment, to))
                .addListener((ChannelFuture f) -> gsoFailed(f, n));
    }

    /**
     * Event loop: a GSO send the kernel refused (a route through a device without checksum
     * offload, or through an xfrm policy, is EIO): its datagrams are lost, counted, and from now
     * on every datagram goes alone.
     */
    private void gsoFailed(ChannelFuture f, int datagrams) {
        if (f.isSuccess()) {
            return;
        }
        for (int i = 0; i < datagrams; i++) {
            drops.add(GatewayDrop.UNDERLAY_SEND_FAILED);
        }
        if (gso && !closed) {
            gso = false;
            log.info("underlay-gso-off", "error", String.valueOf(f.cause().getMessage()));
        }
    }

    private void write(Channel ch, ByteBuf payload, InetSocketAddress to) {
        if (ch == null || closed || !ch.isActive()) {
            drops.add(GatewayDrop.UNDERLAY_CLOSED);
            payload.release();
            return;
        }
        if (!takesWrite(ch)) {
            // Never queue without bound behind a full socket buffer: drop and count, as a NIC would.
            drops.add(GatewayDrop.UNDERLAY_BUSY);
            payload.release();
            return;
        }
        txPackets.increment();
        ch.write(new DatagramPacket(payload, to), ch.voidPromise());
    }

    /**
     * Whether {@code ch} takes another write. A worker writes its whole batch and flushes at the
     * batch's end (epoll then sends it with sendmmsg), and Netty counts written but unflushed bytes
     * against the high-water mark: a batch of 64 TAP super-frames, 4.5 MB of ESP, passes it with the
     * socket's kernel buffer empty, and the rest of the batch was dropped as underlay-busy (4,141
     * datagrams in a 28-s TCP 4-stream run). So on the channel's own loop, where a flush runs at
     * once, an unwritable channel is flushed and asked again: only a socket whose kernel buffer is
     * full stays unwritable, and that is what underlay-busy counts.
     */
    static boolean takesWrite(Channel ch) {
        if (ch.isWritable()) {
            return true;
        }
        if (!ch.eventLoop().inEventLoop()) {
            return false;
        }
        ch.flush();
        return ch.isWritable();
    }

    /**
     * Worker, at the end of its batch: its train, then one flush per socket, so epoll sends the
     * batch with sendmmsg.
     */
    void flush(int worker) {
        if (trains != null && worker >= 0 && worker < trains.length) {
            send(trains[worker]);
        }
        Channel[] chs = espByWorker;
        if (chs != null) {
            if (loops.onLoop(worker)) {
                flush(chs[worker]);
            }
            flush(vxlan);
            flush(geneve);
            return;
        }
        flush();
    }

    /** One flush per socket (the gateway's close, after the workers sent their trains at their batches' ends). */
    void flush() {
        for (Channel ch : channels()) {
            flush(ch);
        }
    }

    private static void flush(Channel ch) {
        if (ch != null && ch.isActive()) {
            ch.flush();
        }
    }

    /** Stops reading (the first step of a graceful stop); sends still go out. */
    void stopReading() {
        for (Channel ch : channels()) {
            if (ch != null) {
                ch.config().setAutoRead(false);
            }
        }
        RawEspSocket r = raw;
        if (r != null) {
            r.stopReading();
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Channel ch : channels()) {
            // A worker's socket closes with its loop when the pool stops (WorkerLoops): skip it then.
            if (ch != null && ch.isOpen() && !ch.eventLoop().isShuttingDown()) {
                ch.close().syncUninterruptibly();
            }
        }
        RawEspSocket r = raw;
        if (r != null) {
            r.close();
        }
    }

    private Channel[] channels() {
        Channel[] chs = espByWorker;
        if (chs == null) {
            return new Channel[] {esp, vxlan, geneve};
        }
        Channel[] all = Arrays.copyOf(chs, chs.length + 2);
        all[chs.length] = vxlan;
        all[chs.length + 1] = geneve;
        return all;
    }

    /** The kernel's receive-buffer drops on this gateway's underlay sockets (UdpSocketDrops), or -1. */
    long kernelDrops() {
        List<Integer> ports = new ArrayList<>(3);
        for (Channel ch : new Channel[] {esp, vxlan, geneve}) {
            if (ch != null && ch.localAddress() instanceof InetSocketAddress a) {
                ports.add(a.getPort());
            }
        }
        return ports.isEmpty() ? 0 : UdpSocketDrops.sum(gateway.address(), ports);
    }

    /** The local address of the ESP socket (tests bind to port 0). */
    InetSocketAddress espAddress() {
        Channel ch = esp;
        return ch == null ? null : (InetSocketAddress) ch.localAddress();
    }
}
