package dev.overlay.gateway.port;

import dev.overlay.datapath.Buffers;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.DefaultMaxMessagesRecvByteBufAllocator;

/**
 * Receive buffers laid out for the datapath: pooled direct, reader and writer index at
 * {@link Buffers#HEADROOM}, room for {@link Ports#MAX_FRAME} + {@link Buffers#TAILROOM} after. Netty
 * reads each datagram at the writer index, so the frame arrives with its headroom and no copy.
 *
 * <p>A datagram longer than the room is truncated by the kernel to the room, which is longer than
 * MAX_FRAME, so the port still sees it as too long and counts it rather than deliver a cut frame.
 */
final class HeadroomRecvAllocator extends DefaultMaxMessagesRecvByteBufAllocator {
    /** Datagrams per read wake-up before the event loop serves other channels. */
    private static final int MESSAGES_PER_READ = 32;

    HeadroomRecvAllocator() {
        super(MESSAGES_PER_READ);
    }

    @Override
    public ExtendedHandle newHandle() {
        return new MaxMessageHandle() {
            @Override
            public ByteBuf allocate(ByteBufAllocator alloc) {
                ByteBuf buf = alloc.directBuffer(Buffers.HEADROOM + Ports.MAX_FRAME + Buffers.TAILROOM);
                buf.setIndex(Buffers.HEADROOM, Buffers.HEADROOM);
                return buf;
            }

            @Override
            public int guess() {
                return Ports.MAX_FRAME + Buffers.TAILROOM;
            }
        };
    }
}
