package dev.overlay.gateway.port;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * One queue of a TAP device (or a pcap port's packet socket): its descriptor, and the count of
 * senders inside write(2) on it, so that close() closes the descriptor only once none is (a closed
 * number can be reused at once by any open(2) in the process, and a late write would then go to
 * the wrong file).
 */
final class TapQueue {
    final int fd;
    private final AtomicInteger senders = new AtomicInteger();
    private final AtomicBoolean warned = new AtomicBoolean();

    TapQueue(int fd) {
        this.fd = fd;
    }

    /** Registers a sender; false (and nothing registered) once {@code closed} is set. */
    boolean enter(AtomicBoolean closed) {
        senders.incrementAndGet();
        if (closed.get()) {
            senders.decrementAndGet();
            return false;
        }
        return true;
    }

    void leave() {
        senders.decrementAndGet();
    }

    /** Called after {@code closed} is set: a sender either saw it or is counted here. */
    void awaitIdle() {
        while (senders.get() != 0) {
            Thread.yield();
        }
    }

    void warnOnce(Logger log, String message) {
        if (warned.compareAndSet(false, true)) {
            log.warning(message);
        }
    }
}
