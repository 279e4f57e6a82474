package dev.overlay.gateway;

import dev.overlay.datapath.Buffers;
import dev.overlay.datapath.DatapathDrop;
import dev.overlay.datapath.DropCounts;
import dev.overlay.datapath.MssClamp;
import dev.overlay.datapath.OverlayDecap;
import dev.overlay.datapath.OverlayEncap;
import dev.overlay.datapath.PathMtu;
import dev.overlay.datapath.Peer;
import dev.overlay.datapath.Tenant;
import dev.overlay.esp.OutboundSaState;
import dev.overlay.gateway.port.TenantPort;
import dev.overlay.steering.Burst;
import dev.overlay.steering.Dispatcher;
import dev.overlay.steering.Handoff;
import dev.overlay.steering.RfsSteering;
import dev.overlay.steering.SpiDispatcher;
import dev.overlay.steering.Stage;
import dev.overlay.steering.SteeringHash;
import dev.overlay.steering.SteeringPolicy;
import dev.overlay.steering.Worker;
import dev.overlay.steering.WorkerPool;
import dev.overlay.vtep.Ethernet;
import dev.overlay.vtep.MacAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The gateway's packet path: entry points for the underlay's event loop and the ports' readers,
 * and the stages the workers run.
 *
 * <ol>
 *   <li>rx, event loop: ESP is steered by SPI to the SA's owner ({@code spi}, {@code rfs}) or by
 *       the outer 4-tuple ({@code flow}); cleartext only from a configured peer's address, by the
 *       outer 4-tuple</li>
 *   <li>rx, worker ({@code esp-decrypt}, {@code vxlan-decap}/{@code geneve-decap}): the
 *       datapath's socket-mode decapsulation with the current view, then FDB learning (inner
 *       source MAC behind the SA's peer or the sender)</li>
 *   <li>deliver ({@code mss-clamp}, then the ports): to the tenant's ports, on the same worker,
 *       or for {@code rfs} on the worker that last transmitted the flow, never reordering it
 *       ({@link RfsSteering})</li>
 *   <li>tx, port reader: tenant of the port, (cluster mode) the source MAC noted as local;
 *       {@code pmtu-check}: a frame above the tenant MTU is answered on its own port with the
 *       ICMP error the datapath builds ({@link PathMtu}), rate-limited per tenant, or cut into
 *       IPv4 fragments; {@code mss-clamp}; FDB lookup, one copy per peer, the outbound SA picked
 *       by inner flow, handed to that SA's owner worker; the segments a port
 *       cut from one super-frame, each admitted as above, as one job ({@link #fromPortSegments})</li>
 *   <li>tx, worker ({@code esp-encrypt}): the datapath's socket-mode encapsulation, then the
 *       underlay socket; flushed once per batch (sendmmsg)</li>
 * </ol>
 */
final class Pipeline {
    private final ByteBufAllocator alloc;
    private final WorkerPool pool;
    private final Underlay underlay;
    private final SpiDispatcher owners;
    private final Dispatcher rxDispatcher;
    private final boolean flowPolicy;
    private final int workers;
    final Handoff<Job> rx;
    final Handoff<Job> tx;
    private final Handoff<Job> deliver;
    private static final int TRAIN_LIMIT_SHARE = 16;
    /**
     * Jobs of several segments a TX queue takes before the port reader waits for the owner: a
     * sixteenth of its capacity (64 of 1,024), so such a queue holds about four times the frames
     * of one of lone frames (64 jobs of up to 64 segments: 4,096, 8 MB of pooled buffers at most;
     * 46 each from 64 KB TSO frames). With a quarter of that (the frames of a queue of lone ones)
     * the reader waited, yielding, often enough that TCP 1 stream came out below the previous
     * jar in 9 alternated pairs of bin/bench-e2e (2,545 against 2,728 Mbit/s on average). Past
     * the wait the segments queue one by one ({@link #toPeer}).
     */
    private final int txTrainLimit;
    private final RfsSteering<Job> rfs;
    private final RfsSteering.FlowTable[] flowTables;
    final DropCounts[] drops;
    final SharedDrops shared;
    /**
     * ESP read on worker i's own socket ([i * STRIDE]: it owned the SA and ran it there;
     * [i * STRIDE + 1]: it handed it on to the owner). Written by worker i only, once per packet,
     * so each worker's pair sits on cache lines of its own (no line shared between two writers);
     * the second stays 0 while the kernel's SPI steering puts every SA on its owner's socket.
     */
    final AtomicLongArray ownSocket;
    /** Longs between two workers' counters in {@link #ownSocket}: 128 bytes, two cache lines. */
    static final int OWN_SOCKET_STRIDE = 16;
    final ConcurrentHashMap<String, TrafficCounters> traffic = new ConcurrentHashMap<>();
    final ConcurrentHashMap<String, PathMtuCounters> pathMtu = new ConcurrentHashMap<>();
    /** What the ports hand their frames to: {@link #fromPort}, and the MTU of the port's tenant. */
    final TenantPort.FrameSink portSink = new TenantPort.FrameSink() {
        @Override
        public void receive(TenantPort port, ByteBuf frame) {
            fromPort(port, frame);
        }

        @Override
        public void receiveSegments(TenantPort port, ByteBuf[] segments, int count) {
            fromPortSegments(port, segments, count);
        }

        @Override
        public int tenantMtu(TenantPort port) {
            View v = view;
            Tenant t = v == null ? null : v.tenantOf(port);
            return t == null ? Integer.MAX_VALUE : t.mtu();
        }

        @Override
        public int readLoops() {
            return loops != null ? loops.workers() : 0;
        }

        @Override
        public io.netty.channel.IoEventLoop readLoop(int worker) {
            return loops.loop(worker);
        }

        @Override
        public void readBatchEnd(int[] handed) {
            Worker self = currentWorker();
            if (self != null) {
                tx.endInline(self);
            }
            int[] mine = handedOn.get();
            if (mine == null) {
                handedOn.set(new int[workers]); // counted from now on, for this reading thread only
                return;
            }
            for (int i = 0; i < mine.length && i < handed.length; i++) {
                handed[i] += mine[i];
                mine[i] = 0;
            }
        }
    };
    /** The workers' event loops (per-worker sockets), or null. */
    private final WorkerLoops loops;
    /**
     * [o]: the segments this thread, a port reader that calls readBatchEnd (a port's reader thread or
     * worker half), went on with to worker o since its last batch end; null on other threads.
     */
    private final ThreadLocal<int[]> handedOn = new ThreadLocal<>();
    private volatile View view;
    private volatile boolean stopping;
    /** Ports each worker gave frames to with sendHeld since its last batch end (software GRO). */
    private static final int HELD_PORTS = 8;
    private final TenantPort[][] held;
    private final int[] heldCount;

    Pipeline(WorkerPool pool, SteeringPolicy policy, SpiDispatcher owners, Underlay underlay, ByteBufAllocator alloc,
             SharedDrops shared) {
        this(pool, policy, owners, underlay, alloc, shared, null);
    }

    Pipeline(WorkerPool pool, SteeringPolicy policy, SpiDispatcher owners, Underlay underlay, ByteBufAllocator alloc,
             SharedDrops shared, WorkerLoops loops) {
        this.loops = loops;
        this.alloc = alloc;
        this.pool = pool;
        this.shared = shared;
        this.underlay = underlay;
        this.owners = owners;
        this.workers = pool.workers();
        this.flowPolicy = policy == SteeringPolicy.FLOW;
        this.rxDispatcher = flowPolicy ? Dispatcher.of(policy, workers) : owners;
        this.drops = new DropCounts[workers];
        this.ownSocket = new AtomicLongArray(OWN_SOCKET_STRIDE * workers);
        for (int i = 0; i < workers; i++) {
            drops[i] = new DropCounts();
        }
        this.held = new TenantPort[workers][HELD_PORTS];
        this.heldCount = new int[workers];
        this.rx = pool.handoff("esp-decrypt", new Stage<>() {
            @Override
            public void handle(Job job, Worker worker) {
                receive(job, worker.index());
            }

            @Override
            public void batchEnd(Worker worker) {
                flushPorts(worker.index());
            }
        }, Job::release, Job::size);
        this.tx = pool.handoff("esp-encrypt", new Stage<>() {
            @Override
            public void handle(Job job, Worker worker) {
                transmit(job, worker.index());
            }

            @Override
            public void batchEnd(Worker worker) {
                underlay.flush(worker.index());
            }
        }, Job::release, Job::size, Job::count);
        this.txTrainLimit = Math.max(1, tx.capacity() / TRAIN_LIMIT_SHARE);
        if (policy == SteeringPolicy.RFS) {
            this.deliver = pool.handoff("deliver", new Stage<>() {
                @Override
                public void handle(Job job, Worker worker) {
                    deliver(job, worker.index());
                }

                @Override
                public void batchEnd(Worker worker) {
                    flushPorts(worker.index());
                }
            }, Job::release, Job::size);
            this.rfs = new RfsSteering<>(deliver, 4096);
            this.flowTables = new RfsSteering.FlowTable[workers];
            for (int i = 0; i < workers; i++) {
                flowTables[i] = rfs.newFlowTable();
            }
        } else {
            this.deliver = null;
            this.rfs = null;
            this.flowTables = null;
        }
    }

    View view() {
        return view;
    }

    void view(View next) {
        view = next;
    }

    /** From now on, frames from ports and packets from the underlay are refused. */
    void stop() {
        stopping = true;
    }

    TrafficCounters traffic(String tenant) {
        return traffic.computeIfAbsent(tenant, k -> new TrafficCounters());
    }

    PathMtuCounters pathMtu(String tenant) {
        return pathMtu.computeIfAbsent(tenant, k -> new PathMtuCounters());
    }

    // ---- event loop: the underlay's receive side ------------------------------------------

    /** A burst for one receiving thread: its owners are woken once per read, at {@link Burst#flush()}. */
    Burst<Job> rxBurst() {
        return rx.burst();
    }

    /** As {@link #receiveEsp(ByteBuf, InetSocketAddress, int, Burst, int)}, waking the owner at once. */
    void receiveEsp(ByteBuf pkt, InetSocketAddress sender, int localPort) {
        receiveEsp(pkt, sender, localPort, null, -1);
    }

    /**
     * An ESP packet (the datagram payload, or the protocol-50 payload); takes ownership. With a
     * {@code burst} the owner is woken when the caller flushes it, after the whole read.
     * {@code self}: the worker whose own socket read it (on that worker's thread), or -1. A
     * packet whose owner is {@code self} is decrypted on the spot ({@link #endInline} after the
     * read); with steering {@code flow} the socket the kernel's hash chose is the flow's worker.
     */
    void receiveEsp(ByteBuf pkt, InetSocketAddress sender, int localPort, Burst<Job> burst, int self) {
        View v = view;
        int at = pkt.readerIndex();
        int n = pkt.readableBytes();
        if (stopping || v == null) {
            shared.add(GatewayDrop.STOPPING);
            pkt.release();
            return;
        }
        // RFC 3948 2.2/2.3: a zero SPI marks IKE, a lone 0xFF is a NAT keepalive; neither is ours.
        if ((n == 1 && pkt.getUnsignedByte(at) == 0xFF) || (n >= 4 && pkt.getInt(at) == 0)) {
            shared.add(DatapathDrop.NOT_OVERLAY);
            pkt.release();
            return;
        }
        int worker;
        if (n < 4) {
            worker = 0; // too short for an SPI; esp-decrypt counts it as truncated
        } else if (flowPolicy) {
            worker = self >= 0 ? self : rxDispatcher.workerFor(tupleHash(sender, localPort));
        } else {
            worker = rxDispatcher.workerFor(pkt.getInt(at));
        }
        Job job = Job.of(Job.Kind.RX_ESP, pkt, v);
        if (self >= 0) {
            int slot = OWN_SOCKET_STRIDE * self + (worker == self ? 0 : 1);
            ownSocket.setRelease(slot, ownSocket.getPlain(slot) + 1);
        }
        if (worker == self) {
            rx.runOrSubmit(pool.worker(self), job);
        } else {
            submitRx(burst, worker, job);
        }
    }

    /** Worker {@code self}'s thread, at the end of a read of its own socket: the rx stage's batch end. */
    void endInline(int self) {
        rx.endInline(pool.worker(self));
    }

    /** A cleartext VXLAN or Geneve datagram's payload; takes ownership. As receiveEsp for {@code burst}. */
    void receiveOverlay(ByteBuf payload, InetSocketAddress sender, int localPort, boolean geneve, Burst<Job> burst) {
        View v = view;
        if (stopping || v == null) {
            shared.add(GatewayDrop.STOPPING);
            payload.release();
            return;
        }
        Peer peer = v.peerAt(sender.getAddress());
        if (peer == null) {
            // Cleartext has no authentication: the source address is all that vouches for it.
            shared.add(DatapathDrop.UNKNOWN_PEER);
            payload.release();
            return;
        }
        Job job = Job.of(geneve ? Job.Kind.RX_GENEVE : Job.Kind.RX_VXLAN, payload, v);
        job.peer = peer;
        submitRx(burst, SteeringHash.pick(tupleHash(sender, localPort), workers), job);
    }

    private void submitRx(Burst<Job> burst, int worker, Job job) {
        if (burst != null) {
            burst.submit(worker, job);
        } else {
            rx.submit(worker, job);
        }
    }

    /** Inet4Address's hashCode is its address, Inet6Address's a hash of it: no copy of the bytes. */
    private static int tupleHash(InetSocketAddress sender, int localPort) {
        return SteeringHash.ipv4(sender.getAddress().hashCode(), 0, sender.getPort(), localPort);
    }

    // ---- worker: esp-decrypt / overlay-decap, fdb-learn --------------------------------------

    private void receive(Job job, int w) {
        View v = view; // the current view: SAs installed by a reload take effect at once
        ByteBuf buf = job.buf;
        OverlayDecap.Result r = v.results[w];
        boolean ok = switch (job.kind) {
            case RX_ESP -> v.decap[w].decapsulateEsp(buf, r, drops[w]);
            case RX_VXLAN -> v.decap[w].decapsulateOverlay(buf, false, r, drops[w]);
            case RX_GENEVE -> v.decap[w].decapsulateOverlay(buf, true, r, drops[w]);
            default -> throw new IllegalStateException("rx stage got " + job.kind);
        };
        if (!ok) {
            job.release();
            return;
        }
        Tenant tenant = r.tenant;
        // The SA says which peer sent it (its address may be NATed); cleartext, the sender.
        String peer = r.sa != null ? r.sa.config().peer() : job.peer.name();
        tenant.fdb().learn(Ethernet.source(buf, buf.readerIndex()), peer);
        if (tenant.clampsMss() && MssClamp.clamp(buf, tenant.mss4(), tenant.mss6())) {
            pathMtu(tenant.name()).mssClampedRx.increment();
        }
        job.kind = Job.Kind.DELIVER;
        job.tenant = tenant;
        job.view = v;
        job.peer = null;
        if (rfs != null) {
            rfs.submit(flowTables[w], InnerFlow.hash(buf), job);
        } else {
            deliver(job, w);
        }
    }

    private void deliver(Job job, int w) {
        TenantPort[] ports = job.view.portsOf(job.tenant);
        if (ports.length == 0) {
            shared.add(GatewayDrop.NO_PORT);
            job.release();
            return;
        }
        ByteBuf frame = job.buf;
        TrafficCounters t = traffic(job.tenant.name());
        t.rxFrames.increment();
        t.rxBytes.add(frame.readableBytes());
        job.recycle();
        for (int i = 0; i < ports.length - 1; i++) {
            hold(w, ports[i], Buffers.copy(alloc, frame));
        }
        hold(w, ports[ports.length - 1], frame);
    }

    /** Sends through {@code port}, which may hold the frame until this worker's batch end. */
    private void hold(int w, TenantPort port, ByteBuf frame) {
        TenantPort[] mine = held[w];
        int n = heldCount[w];
        int i = 0;
        while (i < n && mine[i] != port) {
            i++;
        }
        if (i == n) {
            if (n == HELD_PORTS) {
                flushPorts(w);
                n = 0;
            }
            mine[n] = port;
            heldCount[w] = n + 1;
        }
        port.sendHeld(frame);
    }

    /** A worker's batch end: every port it held frames in writes them (or drops them, if closed). */
    private void flushPorts(int w) {
        TenantPort[] mine = held[w];
        for (int i = 0; i < heldCount[w]; i++) {
            mine[i].flush();
            mine[i] = null;
        }
        heldCount[w] = 0;
    }

    // ---- port reader: tenant, fdb lookup, SA pick, steer to the SA's owner ------------------

    /** A frame read from a tenant port, with the datapath's headroom; takes ownership. */
    void fromPort(TenantPort port, ByteBuf frame) {
        View v = view;
        Tenant tenant = tenantOf(v, port);
        if (tenant == null) {
            shared.add(refusal(v));
            frame.release();
            return;
        }
        TrafficCounters t = traffic(tenant.name());
        long mayWait = port.readerMayWaitNanos();
        if (admit(v, port, tenant, t, frame, mayWait)) {
            forward(v, tenant, t, frame, mayWait);
        }
    }

    /**
     * The segments a port cut from one super-frame; takes ownership of all. Each is admitted as a
     * frame of its own ({@link #admit}); those that go on and share one unicast destination (as
     * segments of one frame do) go to the SA's owner as one job: one FDB lookup, SA pick and
     * hand-off for up to 64 segments instead of one each. Anything else goes frame by frame.
     */
    void fromPortSegments(TenantPort port, ByteBuf[] segments, int count) {
        View v = view;
        Tenant tenant = tenantOf(v, port);
        if (tenant == null) {
            GatewayDrop reason = refusal(v);
            for (int i = 0; i < count; i++) {
                shared.add(reason);
                segments[i].release();
            }
            return;
        }
        TrafficCounters t = traffic(tenant.name());
        long mayWait = port.readerMayWaitNanos();
        ByteBuf[] kept = new ByteBuf[count];
        int n = 0;
        for (int i = 0; i < count; i++) {
            ByteBuf frame = segments[i];
            if (admit(v, port, tenant, t, frame, mayWait)) {
                kept[n++] = frame;
            }
        }
        if (n == 0) {
            return;
        }
        long destination = Ethernet.destination(kept[0], kept[0].readerIndex());
        Peer unicast = n > 1 ? tenant.peerFor(destination) : null;
        for (int i = 1; i < n && unicast != null; i++) {
            if (Ethernet.destination(kept[i], kept[i].readerIndex()) != destination) {
                unicast = null;
            }
        }
        if (unicast == null) {
            for (int i = 0; i < n; i++) {
                forward(v, tenant, t, kept[i], mayWait);
            }
            return;
        }
        toPeer(v, tenant, unicast, kept[0], java.util.Arrays.copyOfRange(kept, 1, n), mayWait);
    }

    /** The tenant behind {@code port} in view {@code v}, or null: stopping, no view yet, or the port gone. */
    private Tenant tenantOf(View v, TenantPort port) {
        return stopping || v == null ? null : v.tenantOf(port);
    }

    /** Why a frame from a port has no tenant ({@link #tenantOf} gave null). */
    private GatewayDrop refusal(View v) {
        return stopping || v == null ? GatewayDrop.STOPPING : GatewayDrop.PORT_GONE;
    }

    /**
     * Tenant port, per frame: the tenant's own 802.1Q tag taken off, counted, (cluster mode) the
     * source MAC noted as local, a frame above the tenant MTU answered ({@link #oversize}), a SYN's
     * MSS clamped. True when the frame goes on to be forwarded; false when it was consumed.
     */
    private boolean admit(View v, TenantPort port, Tenant tenant, TrafficCounters t, ByteBuf frame, long mayWait) {
        int length = frame.readableBytes();
        int tag = length >= Ethernet.HEADER_LENGTH + Ethernet.VLAN_TAG_LENGTH
                ? frame.getUnsignedShort(frame.readerIndex() + Ethernet.HEADER_LENGTH) : -1;
        v.txPath.selectTenant(frame, tenant); // removes the tenant's own 802.1Q tag, if any
        int removedTag = frame.readableBytes() < length ? tag : -1;
        if (frame.readableBytes() < Ethernet.HEADER_LENGTH) {
            shared.add(DatapathDrop.RUNT_FRAME);
            frame.release();
            return false;
        }
        t.txFrames.increment();
        t.txBytes.add(frame.readableBytes());
        if (tenant.localMacs() != null) {
            // Cluster mode: what stands behind our ports, for the agent to announce (EVPN type 2).
            tenant.localMacs().learn(Ethernet.source(frame, frame.readerIndex()), Tenant.LOCAL);
        }
        if (!PathMtu.fits(frame, tenant.mtu())) {
            oversize(v, port, tenant, t, frame, removedTag, mayWait);
            return false;
        }
        if (tenant.clampsMss() && MssClamp.clamp(frame, tenant.mss4(), tenant.mss6())) {
            pathMtu(tenant.name()).mssClampedTx.increment();
        }
        return true;
    }

    /**
     * A frame above its tenant's MTU ({@code pmtu-check}): the datapath's verdict, delivered here.
     * The ICMP error goes back out of the port the frame came from, with the tag it came with;
     * the frame itself is a too-big drop. Fragments go on as frames of their own.
     */
    private void oversize(View v, TenantPort port, Tenant tenant, TrafficCounters t, ByteBuf frame, int removedTag,
                          long mayWait) {
        try {
            PathMtuCounters counters = pathMtu(tenant.name());
            switch (PathMtu.check(frame, tenant.mtu())) {
                case FRAGMENT -> {
                    int n = PathMtu.fragment(frame, tenant.mtu(), alloc, f -> forward(v, tenant, t, f, mayWait));
                    if (n > 0) {
                        counters.fragmentedFrames.increment();
                        counters.fragments.add(n);
                        return;
                    }
                }
                case ICMP -> {
                    if (!counters.icmpLimit.tryAcquire()) {
                        counters.rateLimited.increment();
                    } else {
                        boolean v6 = PathMtu.isIpv6(frame);
                        if (port.send(PathMtu.icmpReply(alloc, frame, tenant.mtu(), removedTag))) {
                            (v6 ? counters.packetTooBig : counters.fragmentationNeeded).increment();
                        }
                    }
                }
                default -> {
                    // not IP, or an error RFC 1812 / RFC 4443 forbid: dropped alone
                }
            }
            shared.add(DatapathDrop.TOO_BIG);
        } finally {
            frame.release();
        }
    }

    /** {@code l2-forward} of an untagged frame that fits: one copy per peer, each to its SA's owner. */
    private void forward(View v, Tenant tenant, TrafficCounters t, ByteBuf frame, long mayWait) {
        Peer unicast = tenant.peerFor(Ethernet.destination(frame, frame.readerIndex()));
        if (unicast != null) {
            toPeer(v, tenant, unicast, frame, null, mayWait);
            return;
        }
        t.txFlooded.increment();
        if (!MacAddress.isMulticast(Ethernet.destination(frame, frame.readerIndex()))) {
            t.txUnknownUnicast.increment();
        }
        // Head-end replication (RFC 7348 section 4.2): one copy per peer, in config order.
        List<Peer> peers = tenant.peers();
        int last = peers.size() - 1;
        if (last < 0) {
            shared.add(GatewayDrop.NO_PEER);
            frame.release();
            return;
        }
        for (int i = 0; i <= last; i++) {
            toPeer(v, tenant, peers.get(i), i == last ? frame : Buffers.copy(alloc, frame), null, mayWait);
        }
    }

    /**
     * {@code frame}, and {@code more} segments of the same flow after it (or null), to the owner of
     * the SA its flow picks. {@code mayWait}: how long the port's reader may wait for room in the
     * owner's queue (0: drop at once).
     */
    private void toPeer(View v, Tenant tenant, Peer peer, ByteBuf frame, ByteBuf[] more, long mayWait) {
        Job job = Job.of(Job.Kind.TX, frame, v);
        job.tenant = tenant;
        job.peer = peer;
        job.more = more;
        int worker;
        if (tenant.esp()) {
            OutboundSaState sa = v.encap.outboundSa(tenant, peer, frame);
            if (sa == null) {
                shared.add(DatapathDrop.NO_SA);
                job.release();
                return;
            }
            job.sa = sa;
            worker = owners.ownerOf(SpiDispatcher.Direction.OUT, sa.spi());
        } else {
            worker = SteeringHash.pick(OverlayEncap.flowHash(frame), workers);
        }
        if (rfs != null) {
            rfs.recordTransmit(InnerFlow.hash(frame), worker);
        }
        Worker self = null;
        int[] handed = handedOn.get();
        if (handed != null) {
            handed[worker] += Job.count(job);
            self = currentWorker();
        }
        if (self != null) {
            if (self.index() == worker) {
                // Read on the owner's own loop (readLoop): sealed and sent here, no hand-off.
                tx.runOrSubmit(self, job);
                return;
            }
            mayWait = 0; // a worker never waits for another's queue: two could wait for each other
        }
        if (more == null) {
            tx.submitWaiting(worker, job, mayWait);
        } else if (tx.submitWithin(worker, job, mayWait, txTrainLimit) == Handoff.Submitted.DECLINED) {
            // The owner stalled (descheduled, most often) for the whole wait: the segments queue
            // one by one, as lone frames do, so that a stall drops no more of them than it did
            // before they travelled together, and a drop is one segment, not a train of them.
            OutboundSaState sa = job.sa; // read first: once queued, the job is the worker's
            job.more = null;
            tx.submitWaiting(worker, job, mayWait);
            for (ByteBuf segment : more) {
                Job one = Job.of(Job.Kind.TX, segment, v);
                one.tenant = tenant;
                one.peer = peer;
                one.sa = sa;
                tx.submitWaiting(worker, one, mayWait);
            }
        }
    }

    /** The worker whose thread this is, or null (a port's reader thread, the I/O thread). */
    private Worker currentWorker() {
        for (int i = 0; i < workers; i++) {
            Worker w = pool.worker(i);
            if (w.isCurrentThread()) {
                return w;
            }
        }
        return null;
    }

    // ---- worker: overlay-encap, esp-encrypt, send ------------------------------------------

    private void transmit(Job job, int w) {
        View v = job.view; // the tenant, peer and SA it was steered with
        Tenant tenant = job.tenant;
        Peer peer = job.peer;
        OutboundSaState sa = job.sa;
        ByteBuf buf = job.buf;
        ByteBuf[] more = job.more;
        job.recycle();
        int sent = 0;
        try {
            View.Route route = v.route(peer);
            send(v, tenant, peer, sa, route, buf, w);
            sent = 1;
            if (more != null) {
                for (ByteBuf segment : more) {
                    send(v, tenant, peer, sa, route, segment, w);
                    sent++;
                }
            }
        } finally {
            // A bug that threw part-way (counted by the worker as stage-failed) leaks no buffer.
            int total = more == null ? 1 : 1 + more.length;
            // (the one it threw on is the stage's, as for a lone frame).
            for (int i = sent + 1; i < total; i++) {
                more[i - 1].release();
            }
        }
    }

    private void send(View v, Tenant tenant, Peer peer, OutboundSaState sa, View.Route route, ByteBuf buf, int w) {
        if (!v.encap.encapsulateForSocket(buf, tenant, peer, sa, drops[w])) {
            buf.release();
            return;
        }
        if (tenant.esp()) {
            underlay.sendEsp(buf, route, w);
        } else {
            underlay.sendOverlay(buf, route, tenant.geneve(), w);
        }
    }
}
