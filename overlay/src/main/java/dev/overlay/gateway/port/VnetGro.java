package dev.overlay.gateway.port;

import dev.overlay.datapath.TcpCoalescer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One sending thread's software GRO toward a port that writes frames after a
 * {@link VirtioNetHeader} (a TAP device, a pcap port's packet socket with PACKET_VNET_HDR): a
 * {@link TcpCoalescer} whose trains are written with one writev(2) each, a header asking for TCP
 * segmentation (gso_type TCPV4 or TCPV6, gso_size, NEEDS_CSUM from the TCP header) in the first
 * frame's headroom, then the first frame, then the payload of the others in place: no copy. The
 * kernel turns that into one GSO skb (virtio_net_hdr_to_skb, from tun_get_user or packet_snd),
 * which the tenant's stack takes whole or which a bridge, veth or NIC segments again. Frames that
 * joined no train are written as before, one write(2) each.
 */
final class VnetGro implements TcpCoalescer.Output {
    private static final int IOVEC = 16;

    /** Where the trains go. */
    interface Device {
        ByteBufAllocator alloc();

        /** Writes one frame, as TenantPort.send. */
        boolean send(ByteBuf frame);

        /** One writev(2) of {@code count} iovecs at {@code iov}; releases {@code parts}. */
        void writeTrain(ByteBuf[] parts, int count, long iov, long total, int segments, int headerLength);
    }

    private final Device device;
    final TcpCoalescer coalescer = new TcpCoalescer(this);
    /** struct iovec[MAX_SEGMENTS]: lives as long as the thread's coalescer. */
    private final MemorySegment iov = Arena.ofAuto().allocate((long) IOVEC * TcpCoalescer.MAX_SEGMENTS, 8);

    VnetGro(Device device) {
        this.device = device;
    }

    @Override
    public void frame(ByteBuf frame) {
        device.send(frame);
    }

    @Override
    public void train(ByteBuf[] parts, int count, boolean v6, int headerLength, int gsoSize, int l4) {
        int segments = count;
        ByteBuf first = parts[0];
        int start = first.readerIndex() - VirtioNetHeader.SIZE;
        boolean inPlace = start >= 0;
        for (int i = 0; inPlace && i < count; i++) {
            inPlace = NativeMemory.address(parts[i], parts[i].readerIndex(), parts[i].readableBytes()) != 0;
        }
        if (!inPlace) {
            ByteBuf whole = device.alloc().directBuffer(VirtioNetHeader.SIZE + 65_600);
            whole.writerIndex(VirtioNetHeader.SIZE).readerIndex(VirtioNetHeader.SIZE);
            for (int i = 0; i < count; i++) {
                whole.writeBytes(parts[i], parts[i].readerIndex(), parts[i].readableBytes());
                parts[i].release();
            }
            parts[0] = whole;
            count = 1;
            first = whole;
            start = 0;
        }
        VirtioNetHeader.writeTcp(first, start, v6, headerLength, gsoSize, l4);
        long total = 0;
        for (int i = 0; i < count; i++) {
            ByteBuf p = parts[i];
            int from = i == 0 ? start : p.readerIndex();
            int length = p.writerIndex() - from;
            iov.set(ValueLayout.JAVA_LONG, (long) i * IOVEC, NativeMemory.address(p, from, length));
            iov.set(ValueLayout.JAVA_LONG, (long) i * IOVEC + 8, length);
            total += length;
        }
        device.writeTrain(parts, count, iov.address(), total, segments, headerLength);
    }
}
