package dev.overlay.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

/**
 * A worker writes a whole batch before it flushes, and Netty counts the unflushed bytes against
 * the high-water mark: a batch bigger than the mark must not be taken for a full socket
 * ({@link Underlay#takesWrite}), while a socket that really cannot send still refuses.
 */
class UnderlayBackpressureTest {
    private static EmbeddedChannel channel(io.netty.channel.ChannelHandler... handlers) {
        EmbeddedChannel ch = new EmbeddedChannel(handlers);
        ch.config().setWriteBufferWaterMark(new WriteBufferWaterMark(1024, 2048));
        return ch;
    }

    @Test
    void aBatchAboveTheHighWaterMarkIsFlushedNotRefused() {
        EmbeddedChannel ch = channel();
        for (int i = 0; i < 3; i++) {
            ch.write(Unpooled.wrappedBuffer(new byte[1000]));
        }
        assertFalse(ch.isWritable(), "3,000 unflushed bytes are above the 2,048-byte mark");
        assertTrue(Underlay.takesWrite(ch), "flushed, the channel takes more");
        assertEquals(3, ch.outboundMessages().size(), "the pending writes went out in order, none dropped");
        ch.finishAndReleaseAll();
    }

    @Test
    void aSocketThatCannotSendStillRefuses() {
        // Holds every flush back, as a socket whose kernel buffer is full leaves the bytes pending.
        EmbeddedChannel ch = channel(new ChannelOutboundHandlerAdapter() {
            @Override
            public void flush(ChannelHandlerContext ctx) {
            }
        });
        for (int i = 0; i < 3; i++) {
            ch.write(Unpooled.wrappedBuffer(new byte[1000]));
        }
        assertFalse(Underlay.takesWrite(ch));
        assertTrue(ch.outboundMessages().isEmpty());
        ch.finishAndReleaseAll();
    }

    @Test
    void aWritableChannelIsNotFlushedEarly() {
        EmbeddedChannel ch = channel();
        ch.write(Unpooled.wrappedBuffer(new byte[100]));
        assertTrue(Underlay.takesWrite(ch));
        assertTrue(ch.outboundMessages().isEmpty(), "below the mark the batch waits for its end, for one sendmmsg");
        ch.finishAndReleaseAll();
    }
}
