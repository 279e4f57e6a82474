package dev.overlay.gateway.port;

import io.netty.util.concurrent.FastThreadLocalThread;

/**
 * The threads that allocate or release packet buffers (workers, port readers, the raw ESP reader,
 * event loops) are Netty FastThreadLocalThreads: Netty 4.2 recycles a pooled ByteBuf's object
 * and keeps a per-thread cache of pool memory only on those. On a plain thread every packet's
 * buffer object is garbage (~116 B, found with JFR) and every allocation takes the arena's lock.
 */
public final class PacketThreads {
    private PacketThreads() {
    }

    /** An unstarted thread named {@code name} that runs {@code body}. */
    public static Thread of(String name, Runnable body) {
        return new FastThreadLocalThread(body, name);
    }

    /** As {@link #of}, a daemon: a port's reader must not keep the JVM alive. */
    public static Thread daemon(String name, Runnable body) {
        Thread thread = of(name, body);
        thread.setDaemon(true);
        return thread;
    }
}
