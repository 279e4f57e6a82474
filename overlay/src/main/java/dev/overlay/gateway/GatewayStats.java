package dev.overlay.gateway;

import dev.overlay.steering.WorkerStats;
import java.util.List;
import java.util.Map;

/**
 * A snapshot of a gateway's counters, read while it runs (each value one that was true) and
 * exact once it stopped. What metrics export, and what tests and the demo assert on.
 *
 * @param tenants by name, in config order
 * @param sas the current config's SAs, in config order
 * @param drops by stage ({@code underlay}, {@code port}, {@code worker}, {@code steering}), then
 *     by reason label; only non-zero counts
 * @param workers each worker's packets over all its stages, and steering drops
 * @param ports by port name
 * @param underlayKernelDrops datagrams the kernel dropped at the underlay sockets (receive buffer
 *     full) before the gateway read them, so never in {@code underlayRxPackets} nor in
 *     {@code drops}; -1 where the kernel does not say
 * @param workerSockets per worker, the ESP its own socket brought: run there (the SA was its
 *     own) or handed on to the owner; empty with one shared socket
 * @param underlayGsoTrains UDP GSO sends (one sendmsg carrying several datagrams of one size)
 * @param underlayGsoDatagrams the datagrams those sends carried, each also in {@code underlayTxPackets}:
 *     over {@code underlayGsoTrains}, the mean train, which the peer's UDP GRO reads back whole
 */
public record GatewayStats(Map<String, TenantStats> tenants, List<SaStats> sas,
                           Map<String, Map<String, Long>> drops, List<WorkerStats> workers,
                           Map<String, PortStats> ports, long underlayRxPackets, long underlayTxPackets,
                           long underlayKernelDrops, List<WorkerSocketStats> workerSockets,
                           long underlayGsoTrains, long underlayGsoDatagrams) {

    /** ESP packets worker {@code worker}'s own socket brought: run where read, or handed on to their SA's owner. */
    public record WorkerSocketStats(int worker, long ownSa, long handedOn) {}

    /**
     * Frames taken from the tenant's ports (tx) and delivered to them (rx); learned plus static FDB
     * entries, and of those the remote ones (cluster mode); its path-MTU counters; tx frames
     * flooded to every peer, and of those the unknown unicast ones.
     */
    public record TenantStats(int vni, long txFrames, long txBytes, long rxFrames, long rxBytes, int fdbEntries,
                              PathMtuStats pathMtu, int fdbRemoteEntries, long txFlooded, long txUnknownUnicast) {
        public TenantStats(int vni, long txFrames, long txBytes, long rxFrames, long rxBytes, int fdbEntries) {
            this(vni, txFrames, txBytes, rxFrames, rxBytes, fdbEntries, PathMtuStats.NONE, 0, 0, 0);
        }
    }

    /**
     * A tenant's frames above its MTU and its clamped SYNs: ICMP Fragmentation Needed and ICMPv6
     * Packet Too Big sent to its senders, errors the rate limit held back, IPv4 frames without DF
     * cut into fragments (and the fragments made), SYNs whose MSS was lowered leaving to the
     * overlay (tx) and delivered to the tenant (rx).
     */
    public record PathMtuStats(long fragmentationNeeded, long packetTooBig, long rateLimited, long fragmentedFrames,
                               long fragments, long mssClampedTx, long mssClampedRx) {
        /** Nothing counted yet. */
        public static final PathMtuStats NONE = new PathMtuStats(0, 0, 0, 0, 0, 0, 0);
    }

    /** One SA: packets and bytes sealed (out) or opened (in), and its drops by reason. */
    public record SaStats(String spi, String direction, String peer, long packets, long bytes, Map<String, Long> drops) {}

    /**
     * One port's frames each way; gso: TCP or UDP super-frames read (rx, each cut into segments)
     * and TCP ones written (tx, each coalesced from segments), counted also in rxFrames/txFrames as
     * segments; rxKernelDrops: frames the kernel dropped before the port read them, at a pcap
     * port's socket (receive buffer full) or a tap port's device (queue full; 0 for other ports);
     * queuesOnWorkers: of the port's queues (a pcap port has one), how many a worker's event loop
     * reads now instead of the port's thread; readerMoves: times a worker's loop took one over.
     */
    public record PortStats(String tenant, long rxFrames, long rxBytes, long txFrames, long txBytes,
                            long txDropped, long rxErrors, long rxGsoFrames, long rxGsoSegments,
                            long txGsoFrames, long txGsoSegments, long rxKernelDrops, int queuesOnWorkers,
                            long readerMoves) {}

    /** The count of one drop reason over every stage. */
    public long drops(String reason) {
        long sum = 0;
        for (Map<String, Long> byReason : drops.values()) {
            sum += byReason.getOrDefault(reason, 0L);
        }
        return sum;
    }

    /** Every drop of every stage. */
    public long totalDrops() {
        long sum = 0;
        for (Map<String, Long> byReason : drops.values()) {
            for (long c : byReason.values()) {
                sum += c;
            }
        }
        return sum;
    }

    public TenantStats tenant(String name) {
        TenantStats t = tenants.get(name);
        if (t == null) {
            throw new IllegalArgumentException("tenant: " + name + " (expected: one of " + tenants.keySet() + ")");
        }
        return t;
    }

    /** The SA of {@code spi} (as {@code 0x00001001}) and direction ({@code in} or {@code out}), or null. */
    public SaStats sa(String spi, String direction) {
        for (SaStats s : sas) {
            if (s.spi.equals(spi) && s.direction.equals(direction)) {
                return s;
            }
        }
        return null;
    }
}
