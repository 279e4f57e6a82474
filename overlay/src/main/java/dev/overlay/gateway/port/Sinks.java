package dev.overlay.gateway.port;

import io.netty.buffer.ByteBuf;
import java.util.logging.Level;
import java.util.logging.Logger;

/** The one way a port's reader hands a frame to its {@link TenantPort.FrameSink}. */
final class Sinks {
    private Sinks() {
    }

    /**
     * Gives {@code frame} to {@code sink}. The sink owns the frame even when it throws; a bug there
     * is logged and must not stop the port's reader.
     */
    static void deliver(TenantPort.FrameSink sink, TenantPort port, ByteBuf frame, Logger log) {
        try {
            sink.receive(port, frame);
        } catch (RuntimeException e) {
            log.log(Level.SEVERE, port.name() + ": frame sink failed", e);
        }
    }

    /**
     * Gives {@code count} segments of one super-frame to {@code sink} at once and clears their
     * slots in {@code segments}. The sink owns them even when it throws.
     */
    static void deliverSegments(TenantPort.FrameSink sink, TenantPort port, ByteBuf[] segments, int count, Logger log) {
        try {
            sink.receiveSegments(port, segments, count);
        } catch (RuntimeException e) {
            log.log(Level.SEVERE, port.name() + ": frame sink failed", e);
        } finally {
            java.util.Arrays.fill(segments, 0, count, null);
        }
    }
}
