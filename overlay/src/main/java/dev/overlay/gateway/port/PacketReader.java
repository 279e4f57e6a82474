package dev.overlay.gateway.port;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * The reader of a {@link PcapPort}, on a thread of its own: it polls the packet socket and the
 * port's wake eventfd, takes one frame per recvmsg(2) into its own 65 KB buffer (after a
 * {@link VirtioNetHeader} when the socket has PACKET_VNET_HDR), with the sender's packet type in
 * the {@code sockaddr_ll} and a {@code tpacket_auxdata} control message, and hands the frame to
 * {@link SoftwareOffloads}, which completes partial checksums and cuts super-frames.
 *
 * <p>An 802.1Q tag that the kernel took out of the frame (TP_STATUS_VLAN_VALID: every receive
 * path does, before any packet socket sees it) is put back after the MAC addresses, with its TPID
 * (802.1ad when TP_STATUS_VLAN_TPID_VALID says so), as libpcap puts it back: a trunk port keeps its
 * tags. The reader's buffer keeps 4 bytes free before the frame for that.
 *
 * <p>Every 100 ms of traffic (and at least each second) it adds the frames the kernel dropped at the
 * socket, its receive buffer full, to rxKernelDrops (PACKET_STATISTICS, which resets on reading).
 *
 * <p>It returns once the port is closed (the eventfd is signalled) or on an error no later read
 * can undo, which it logs; the interface going down (ENETDOWN) is said once and reading goes on,
 * as the kernel resumes delivery when it is up again.
 */
final class PacketReader implements Runnable {
    private static final Logger LOG = Logger.getLogger(PcapPort.class.getName());
    /** Frames read without returning to poll, so a closing port is noticed under load. */
    private static final int READ_BATCH = 64;
    /** How often the kernel's drop count is read (PACKET_STATISTICS), at most: once per 100 ms of traffic. */
    private static final long STATISTICS_NANOS = 100_000_000;
    private static final int VLAN_ROOM = 4;
    private static final int TPID_8021Q = 0x8100;
    /**
     * A socket whose frames nearly all go to one worker is read by that worker's event loop
     * ({@link LoopReader}), as a TAP queue is; {@code -Doverlay.pcap.read-on-worker=false} keeps
     * this thread reading always (A/B, and a way out).
     */
    static final boolean READ_ON_WORKER = !"false".equals(System.getProperty("overlay.pcap.read-on-worker"));

    // struct msghdr (LP64): name, namelen, iov, iovlen, control, controllen, flags.
    private static final int MSGHDR_SIZE = 56;
    private static final int MSG_NAME = 0;
    private static final int MSG_NAMELEN = 8;
    private static final int MSG_IOV = 16;
    private static final int MSG_IOVLEN = 24;
    private static final int MSG_CONTROL = 32;
    private static final int MSG_CONTROLLEN = 40;
    private static final int MSG_FLAGS = 48;
    /** Room for CMSG_SPACE(sizeof(struct tpacket_auxdata)) = 40, and a spare one. */
    private static final int CONTROL_SIZE = 96;
    // struct cmsghdr: size_t len, int level, int type, then data (aligned to 8).
    private static final int CMSG_HEADER = 16;

    private final PcapPort port;
    private final PacketSocket socket;
    private final int wakeFd;
    private final AtomicBoolean closed;
    private final ByteBufAllocator alloc;
    private final PortCounters counters;
    private final TenantPort.FrameSink sink;
    private boolean saidDown;
    private boolean saidUndescribed;
    // Set at the start of run(); used by whichever of the thread and a worker's loop reads.
    private int header;
    private int area;
    private ByteBuf in;
    private SoftwareOffloads offloads;
    private MemorySegment msg;
    private MemorySegment from;
    private MemorySegment control;
    /** The reader's worker half (set at the start of run()), or null when this thread reads alone. */
    private LoopReader onLoop;

    PacketReader(PcapPort port, PacketSocket socket, int wakeFd, AtomicBoolean closed,
                 ByteBufAllocator alloc, PortCounters counters, TenantPort.FrameSink sink) {
        this.port = port;
        this.socket = socket;
        this.wakeFd = wakeFd;
        this.closed = closed;
        this.alloc = alloc;
        this.counters = counters;
        this.sink = sink;
    }

    /**
     * 1. poll the socket, the wake eventfd and (with worker loops) the resume eventfd 2. recvmsg a
     * batch of frames, each with its virtio header, its sender's packet type and its auxdata, into
     * the reader's buffer ({@link #readBatch}) 3. skip what this host sent, put back a VLAN tag
     * 4. hand each to the sink, its checksum completed, a super-frame as its segments 5. with
     * worker loops, after each window, hand the socket to the worker its frames went to
     * ({@link LoopReader}) and stop polling it until that worker gives it back; the kernel's drop
     * count is still read here meanwhile.
     */
    @Override
    public void run() {
        header = socket.vnetHeader ? VirtioNetHeader.SIZE : 0;
        area = VLAN_ROOM + header + SoftwareOffloads.MAX_SUPER_FRAME;
        in = alloc.directBuffer(area, area);
        offloads = new SoftwareOffloads(port, alloc, counters, sink, LOG);
        onLoop = LoopReader.create(port.name(), socket.fd, closed, sink, this::readBatch, READ_ON_WORKER, "socket");
        if (onLoop != null) {
            port.adopt(onLoop);
        }
        // Shared: a worker's loop reads into these while it holds the socket. The arena outlives
        // every read: the worker half is stopped (inner finally) before the arena closes.
        try (Arena arena = Arena.ofShared()) {
            try {
                readUntilClosed(arena);
            } finally {
                if (onLoop != null) {
                    onLoop.stop(); // no read of the worker half runs any more: buffer and arena are free
                }
            }
        } finally {
            in.release();
        }
    }

    /** The thread's loop: returns when the port closes or the socket fails for good (logged). */
    private void readUntilClosed(Arena arena) {
        long address = NativeMemory.address(in, 0, area);
        msg = arena.allocate(MSGHDR_SIZE, 8);
        from = arena.allocate(PacketSocket.SOCKADDR_LL_SIZE, 8);
        MemorySegment iov = arena.allocate(16, 8);
        control = arena.allocate(CONTROL_SIZE, 8);
        iov.set(ValueLayout.JAVA_LONG, 0, address + VLAN_ROOM);
        iov.set(ValueLayout.JAVA_LONG, 8, area - VLAN_ROOM);
        msg.set(ValueLayout.ADDRESS, MSG_NAME, from);
        msg.set(ValueLayout.ADDRESS, MSG_IOV, iov);
        msg.set(ValueLayout.JAVA_LONG, MSG_IOVLEN, 1);
        msg.set(ValueLayout.ADDRESS, MSG_CONTROL, control);
        MemorySegment fds = LoopReader.pollSet(arena, socket.fd, wakeFd, onLoop);
        MemorySegment stats = arena.allocate(8, 4); // struct tpacket_stats: packets, drops
        MemorySegment statsLength = arena.allocate(ValueLayout.JAVA_INT);
        long statsAt = System.nanoTime();
        boolean handedOver = false;
        while (!closed.get()) {
            if (System.nanoTime() - statsAt > STATISTICS_NANOS) {
                statsAt = System.nanoTime();
                kernelDrops(stats, statsLength);
            }
            // A second at most, so the drop count is read even when traffic has stopped.
            int ready = Libc.poll(fds, 3, 1_000);
            if (ready < 0) {
                int errno = Libc.errno();
                if (errno == Libc.EINTR) {
                    continue;
                }
                LOG.severe(port.name() + ": poll: " + Libc.strerror(errno) + "; reader stopped");
                return;
            }
            if (fds.get(ValueLayout.JAVA_SHORT, Libc.POLLFD_SIZE + 6) != 0) {
                return; // close() signalled the eventfd
            }
            if (onLoop != null) {
                handedOver = onLoop.afterPoll(fds, handedOver); // a worker gave the socket back?
            }
            if (handedOver || ready == 0) {
                continue;
            }
            if (!readBatch()) {
                return;
            }
            if (onLoop != null) {
                handedOver = onLoop.threadBatchEnd(fds);
            }
        }
    }

    /**
     * Up to {@link #READ_BATCH} frames (non-blocking recvmsg), each to the sink; stops early when
     * the socket is empty. False when the socket failed for good, which is logged: nobody reads
     * it again. Runs on the reader's thread or, handed over, on a worker's loop: one at a time.
     */
    private boolean readBatch() {
        for (int n = 0; n < READ_BATCH; n++) {
            msg.set(ValueLayout.JAVA_INT, MSG_NAMELEN, PacketSocket.SOCKADDR_LL_SIZE);
            msg.set(ValueLayout.JAVA_LONG, MSG_CONTROLLEN, CONTROL_SIZE);
            msg.set(ValueLayout.JAVA_INT, MSG_FLAGS, 0);
            long length = Libc.recvmsg(socket.fd, msg, 0); // the socket is non-blocking
            if (length < 0) {
                return readable(Libc.errno());
            }
            if (from.get(ValueLayout.JAVA_BYTE, PacketSocket.SOCKADDR_LL_PKTTYPE) == PacketSocket.PACKET_OUTGOING) {
                continue; // sent by this host (a kernel without PACKET_IGNORE_OUTGOING)
            }
            if ((msg.get(ValueLayout.JAVA_INT, MSG_FLAGS) & Libc.MSG_TRUNC) != 0
                    || length < header + 14 || length >= area - VLAN_ROOM) {
                counters.rxErrors.increment(); // cut by the kernel, or no Ethernet header
                continue;
            }
            if (!frame(in, (int) length, header, msg, control, offloads)) {
                counters.rxErrors.increment();
            }
        }
        return true;
    }

    /** Adds the frames the kernel dropped since the last call (reading PACKET_STATISTICS resets them). */
    private void kernelDrops(MemorySegment stats, MemorySegment length) {
        length.set(ValueLayout.JAVA_INT, 0, 8);
        if (Libc.getsockopt(socket.fd, PacketSocket.SOL_PACKET, PacketSocket.PACKET_STATISTICS, stats, length) == 0) {
            counters.rxKernelDrops.add(Integer.toUnsignedLong(stats.get(ValueLayout.JAVA_INT, 4)));
        }
    }

    /** False when the error ends the reader (logged); true to poll again. */
    private boolean readable(int errno) {
        if (errno == Libc.EAGAIN || errno == Libc.EINTR) {
            return true;
        }
        if (errno == Libc.ENETDOWN) {
            if (!saidDown) {
                saidDown = true;
                LOG.warning(port.name() + ": the interface went down; frames are read again once it is up");
            }
            return true;
        }
        if (errno == Libc.EINVAL) {
            // packet_recvmsg: a GSO frame no virtio header can describe (SCTP, fraglist); the kernel
            // has dropped it. Counted; reading goes on.
            counters.rxErrors.increment();
            if (!saidUndescribed) {
                saidUndescribed = true;
                LOG.warning(port.name() + ": the kernel could not describe a GSO frame in a virtio header and dropped it"
                        + " (further ones counted in rxErrors only)");
            }
            return true;
        }
        LOG.severe(port.name() + ": recvmsg: " + Libc.strerror(errno) + "; reader stopped");
        return false;
    }

    /** The frame of one recvmsg, {@code length} bytes at {@link #VLAN_ROOM}, to the sink; false when refused. */
    private boolean frame(ByteBuf in, int length, int header, MemorySegment msg, MemorySegment control,
                          SoftwareOffloads offloads) {
        int status = 0;
        int tci = 0;
        int tpid = TPID_8021Q;
        long controlLength = msg.get(ValueLayout.JAVA_LONG, MSG_CONTROLLEN);
        for (long c = 0; c + CMSG_HEADER <= controlLength; ) {
            long cmsgLength = control.get(ValueLayout.JAVA_LONG, c);
            if (cmsgLength < CMSG_HEADER) {
                break;
            }
            if (control.get(ValueLayout.JAVA_INT, c + 8) == PacketSocket.SOL_PACKET
                    && control.get(ValueLayout.JAVA_INT, c + 12) == PacketSocket.PACKET_AUXDATA && cmsgLength >= CMSG_HEADER + 20) {
                // struct tpacket_auxdata: status, len, snaplen, mac, net, vlan_tci, vlan_tpid.
                status = control.get(ValueLayout.JAVA_INT, c + CMSG_HEADER);
                tci = Short.toUnsignedInt(control.get(ValueLayout.JAVA_SHORT, c + CMSG_HEADER + 16));
                if ((status & PacketSocket.TP_STATUS_VLAN_TPID_VALID) != 0) {
                    tpid = Short.toUnsignedInt(control.get(ValueLayout.JAVA_SHORT, c + CMSG_HEADER + 18));
                }
            }
            c += (cmsgLength + 7) & ~7L;
        }
        int start = VLAN_ROOM + header;
        int flags = 0;
        int gsoType = 0;
        int gsoSize = 0;
        int csumStart = 0;
        int csumOffset = 0;
        if (header > 0) {
            flags = VirtioNetHeader.flags(in, VLAN_ROOM);
            gsoType = VirtioNetHeader.gsoType(in, VLAN_ROOM);
            gsoSize = VirtioNetHeader.gsoSize(in, VLAN_ROOM);
            csumStart = VirtioNetHeader.csumStart(in, VLAN_ROOM);
            csumOffset = VirtioNetHeader.csumOffset(in, VLAN_ROOM);
        }
        int end = VLAN_ROOM + length;
        if ((status & PacketSocket.TP_STATUS_VLAN_VALID) != 0) {
            // The addresses move 4 bytes forward (over the header, read above) to make room for the tag.
            long addresses = in.getLong(start);
            int rest = in.getInt(start + 8);
            start -= 4;
            in.setLong(start, addresses);
            in.setInt(start + 8, rest);
            in.setShort(start + 12, tpid);
            in.setShort(start + 14, tci);
            csumStart += 4;
        }
        in.setIndex(start, end);
        return header > 0
                ? offloads.withHeader(in, flags, gsoType, gsoSize, csumStart, csumOffset)
                : offloads.withoutHeader(in, (status & PacketSocket.TP_STATUS_CSUMNOTREADY) != 0, socket.mtu);
    }
}
