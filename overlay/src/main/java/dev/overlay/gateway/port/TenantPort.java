package dev.overlay.gateway.port;

import io.netty.buffer.ByteBuf;

/**
 * Where a tenant's frames enter and leave the gateway: a TAP device, an existing interface through
 * an AF_PACKET socket ({@code pcap}), or a UDP socket carrying one Ethernet frame per datagram
 * (CONTRACT.md's {@code ports}).
 *
 * <p>Ownership: frames handed to the {@link FrameSink} belong to the sink; frames given to
 * {@link #send} belong to the port, which releases them whether or not they went out.
 */
public interface TenantPort extends AutoCloseable {

    /** Receives the frames a port reads, on the port's own thread(s). */
    @FunctionalInterface
    interface FrameSink {
        /** Segments a port hands to {@link #receiveSegments} in one call at most. */
        int MAX_SEGMENTS = 64;

        /**
         * One Ethernet frame (its readable bytes), with {@link dev.overlay.datapath.Buffers#HEADROOM}
         * before it and {@link dev.overlay.datapath.Buffers#TAILROOM} after it. The sink owns it.
         */
        void receive(TenantPort port, ByteBuf frame);

        /**
         * The {@code count} segments a port cut from one super-frame, in order: the same
         * addresses, ports and tags, so what {@link #receive} decides per frame may be decided
         * once. The sink owns them all, as {@link #receive} owns its frame. At most
         * {@link #MAX_SEGMENTS}; a super-frame with more arrives in several calls.
         */
        default void receiveSegments(TenantPort port, ByteBuf[] segments, int count) {
            for (int i = 0; i < count; i++) {
                receive(port, segments[i]);
            }
        }

        /**
         * The MTU of {@code port}'s tenant: the largest IP packet one of its frames may carry
         * across the overlay. A port that cuts GSO super-frames into segments asks it first
         * ({@link dev.overlay.datapath.PathMtu#segmentsFit}): segments that would all be refused
         * are not cut, the super-frame is handed over whole, to be answered with one ICMP error.
         */
        default int tenantMtu(TenantPort port) {
            return Integer.MAX_VALUE;
        }

        /**
         * How many workers could read a port's queue on their own event loop (run to completion:
         * read, cut, seal and send on one thread, no hand-off), or 0 when ports read on threads
         * of their own.
         */
        default int readLoops() {
            return 0;
        }

        /** Worker {@code worker}'s event loop, for a port's queue to be read on (0 to readLoops() - 1). */
        default io.netty.channel.IoEventLoop readLoop(int worker) {
            throw new UnsupportedOperationException("no read loops");
        }

        /**
         * On a {@link #readLoop}'s thread, after each batch of frames read there: ends the batch
         * (sends what it sealed), and adds to {@code handed[w]} the segments the batch went to
         * worker {@code w} with (the reading worker's own included), so the reader can follow them.
         */
        default void readBatchEnd(int[] handed) {
        }
    }

    /** A name for logs and metrics: {@code tap:tap-blue}, {@code pcap:veth-blue}, {@code udp:127.0.0.1:7001}. */
    String name();

    /**
     * How the kernel hands this port its frames, for the {@code port-opened} log line: the device
     * or socket and the offloads in use ({@code af-packet vnet-hdr ignore-outgoing promiscuous}
     * for a pcap port); empty when there is nothing to say.
     */
    default String path() {
        return "";
    }

    /** Starts reading; frames go to {@code sink} until {@link #close()}. Called once. */
    void start(FrameSink sink);

    /**
     * Writes one frame (its readable bytes) to the tenant side. Thread-safe; never blocks for long
     * (a full device or socket buffer drops and counts). Takes ownership of {@code frame}.
     *
     * @return true if the frame was written
     */
    boolean send(ByteBuf frame);

    /**
     * As {@link #send}, but the port may hold the frame until {@link #flush()} on the same thread,
     * to write it together with the next ones (a TAP port coalesces a TCP flow's segments into one
     * super-frame: software GRO). A caller of this must call {@link #flush()} before it waits for
     * more work, also after the port was closed, so that nothing stays held.
     */
    default void sendHeld(ByteBuf frame) {
        send(frame);
    }

    /** Writes (or, once closed, drops and releases) what {@link #sendHeld} holds for this thread. */
    default void flush() {}

    /**
     * How long this port's reader may wait for room in a full worker queue before a frame is
     * dropped (nanoseconds; 0: never waits). A port read by a thread of its own whose input the
     * kernel holds while it waits (a TAP: the tenant's TCP is then slowed by its small-queue
     * limit rather than made to retransmit) says so; a port on a shared event loop must not.
     */
    default long readerMayWaitNanos() {
        return 0;
    }

    /** Frames and bytes each way, and drops by reason. */
    PortCounters counters();

    /**
     * Brings {@link PortCounters#rxKernelDrops} up to date where the kernel keeps the count
     * itself and only a reading finds it (a TAP device's tx_dropped); a reader of the counters
     * (stats, a metrics scrape) calls it first. Ports whose reader counts as it goes do nothing.
     */
    default void sampleKernelDrops() {}

    /**
     * Of this port's queues (a pcap port has one), how many a worker's event loop reads now
     * rather than the port's own reader thread ({@link LoopReader}); 0 for ports without one.
     */
    default int queuesOnWorkers() {
        return 0;
    }

    /** Times a worker's event loop took one of this port's queues over from its thread or another loop. */
    default long readerMoves() {
        return 0;
    }

    /** Stops reading, closes the device or socket; idempotent. No thread of the port outlives it. */
    @Override
    void close();
}
