package dev.overlay.gateway.port;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one port, written by the port's reader thread and by the workers that send, read by
 * metrics. LongAdder because sends come from several workers at once.
 */
public final class PortCounters {
    public final LongAdder rxFrames = new LongAdder();
    public final LongAdder rxBytes = new LongAdder();
    public final LongAdder txFrames = new LongAdder();
    public final LongAdder txBytes = new LongAdder();
    /** Frames that could not be written: device or socket buffer full, or the port closed. */
    public final LongAdder txDropped = new LongAdder();
    /**
     * Frames read but unusable: shorter than an Ethernet header, or longer than
     * {@link Ports#MAX_FRAME}; for a udp port also datagrams from any source but its {@code remote}.
     */
    public final LongAdder rxErrors = new LongAdder();
    /**
     * TCP or UDP super-frames read with a GSO virtio header (TSO or USO from the tenant's stack), or
     * TCP ones longer than the MTU read without one, and the segments cut from them; a super-frame
     * whose segments would exceed the tenant MTU is handed on whole (to be answered with one ICMP
     * error) and counted here with no segments.
     */
    public final LongAdder rxGsoFrames = new LongAdder();
    public final LongAdder rxGsoSegments = new LongAdder();
    /** TCP super-frames written with a GSO virtio header (software GRO), and the segments coalesced into them. */
    public final LongAdder txGsoFrames = new LongAdder();
    public final LongAdder txGsoSegments = new LongAdder();
    /**
     * Frames the kernel dropped before the port read them: at a pcap port's socket, its receive
     * buffer full (PACKET_STATISTICS tp_drops), or at a tap port's device, its queue full (the
     * device's tx_dropped, sampled by {@link TenantPort#sampleKernelDrops()}).
     */
    public final LongAdder rxKernelDrops = new LongAdder();
}
