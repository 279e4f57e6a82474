package dev.overlay.gateway;

import dev.overlay.datapath.Peer;
import dev.overlay.datapath.Tenant;
import dev.overlay.esp.OutboundSaState;
import io.netty.buffer.ByteBuf;
import io.netty.util.Recycler;

/**
 * One packet handed to a worker, with what its stage needs to know. Recycled (Netty's
 * {@link Recycler}), so steering allocates nothing per packet. Owned by whoever holds it: the
 * stage that finishes with it calls {@link #release()} or {@link #recycle()} once.
 */
final class Job {
    enum Kind {
        /** An ESP packet from the esp-port socket or the protocol-50 socket. */
        RX_ESP,
        /** A cleartext VXLAN datagram's payload from a configured peer. */
        RX_VXLAN,
        /** A cleartext Geneve datagram's payload from a configured peer. */
        RX_GENEVE,
        /** A tenant frame for one peer, to be encapsulated (and sealed with {@link #sa}). */
        TX,
        /** A decapsulated frame for the tenant's ports ({@code rfs}: on the flow's worker). */
        DELIVER
    }

    private static final Recycler<Job> RECYCLER = new Recycler<>() {
        @Override
        protected Job newObject(Handle<Job> handle) {
            return new Job(handle);
        }
    };

    private final Recycler.Handle<Job> handle;
    Kind kind;
    ByteBuf buf;
    /** TX and DELIVER: the tenant, from the view that was current when the job was made. */
    Tenant tenant;
    /** TX: the destination; RX_VXLAN/RX_GENEVE: the sender. */
    Peer peer;
    /** TX of an esp tenant: the SA picked on the port thread; its owner runs the job. */
    OutboundSaState sa;
    /** The view the tenant and peer came from. */
    View view;
    /**
     * TX only: further segments cut from the same super-frame as {@link #buf}, for the same peer
     * and SA, sent after it in order; null for a lone frame.
     */
    ByteBuf[] more;

    private Job(Recycler.Handle<Job> handle) {
        this.handle = handle;
    }

    static Job of(Kind kind, ByteBuf buf, View view) {
        Job job = RECYCLER.get();
        job.kind = kind;
        job.buf = buf;
        job.view = view;
        return job;
    }

    /** Releases the buffer and recycles the job: the drop path. */
    void release() {
        ByteBuf b = buf;
        ByteBuf[] rest = more;
        recycle();
        if (b != null) {
            b.release();
        }
        if (rest != null) {
            for (ByteBuf r : rest) {
                r.release();
            }
        }
    }

    /** Recycles the job; the buffer has gone elsewhere. */
    void recycle() {
        buf = null;
        tenant = null;
        peer = null;
        sa = null;
        view = null;
        more = null;
        kind = null;
        handle.recycle(this);
    }

    /** Packets in the job: its frame and the segments after it. */
    static int count(Job job) {
        return job.more == null ? 1 : 1 + job.more.length;
    }

    static int size(Job job) {
        int size = job.buf.readableBytes();
        if (job.more != null) {
            for (ByteBuf b : job.more) {
                size += b.readableBytes();
            }
        }
        return size;
    }
}
