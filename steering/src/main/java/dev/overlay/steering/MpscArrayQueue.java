package dev.overlay.steering;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A bounded lock-free queue for many producers and one consumer, on a power-of-two array.
 *
 * <p>Producers claim a position by CAS on {@code producerIndex} and then store the element with
 * release semantics; the consumer reads a slot with acquire semantics, so a claimed slot may
 * briefly still read null (a producer between its CAS and its store): {@link #drain} stops
 * there and {@link #isEmpty} still says non-empty, so the worker retries instead of parking.
 *
 * <p>The consumer advances {@code consumerIndex} only after the element is handled, so
 * {@link #consumerIndex()} counts finished items. RFS relies on that: a flow may leave this
 * queue once {@code consumerIndex() >= } the position after its last packet (Linux's
 * {@code input_queue_head} against {@code rps_flow.last_qtail}).
 *
 * <p>{@link MpscQueueLayout} keeps the producers' cache line and the consumer's apart.
 */
final class MpscArrayQueue<E> extends MpscQueueLayout.ConsumerPad {
    private static final VarHandle ELEMENT = MethodHandles.arrayElementVarHandle(Object[].class);
    private static final VarHandle PRODUCER_INDEX;
    private static final VarHandle PRODUCER_LIMIT;
    private static final VarHandle CONSUMER_INDEX;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            PRODUCER_INDEX = lookup.findVarHandle(MpscQueueLayout.ProducerFields.class, "producerIndex", long.class);
            PRODUCER_LIMIT = lookup.findVarHandle(MpscQueueLayout.ProducerFields.class, "producerLimit", long.class);
            CONSUMER_INDEX = lookup.findVarHandle(MpscQueueLayout.ConsumerFields.class, "consumerIndex", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Receives drained elements on the consumer thread. */
    interface Sink<E> {
        void accept(E element);
    }

    private final Object[] buffer;
    private final int mask;

    MpscArrayQueue(int capacity) {
        if (capacity < 2 || capacity > 1 << 30 || Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: a power of two in [2, 2^30])");
        }
        buffer = new Object[capacity];
        mask = capacity - 1;
        producerLimit = capacity;
    }

    int capacity() {
        return mask + 1;
    }

    /**
     * Appends {@code e}; returns its position (0 for the first element ever offered), or -1 if the
     * queue is full. Never blocks; safe from any thread.
     */
    long offer(E e) {
        long limit = (long) PRODUCER_LIMIT.getAcquire(this);
        long position;
        do {
            position = (long) PRODUCER_INDEX.getVolatile(this);
            if (position >= limit) {
                // The cached limit may be stale: refresh it from the consumer. Any value written
                // here is consumerIndex + capacity for a consumerIndex that was once true, and the
                // consumer index only grows, so a racing stale write is conservative, never unsafe.
                limit = (long) CONSUMER_INDEX.getAcquire(this) + buffer.length;
                if (position >= limit) {
                    return -1;
                }
                PRODUCER_LIMIT.setRelease(this, limit);
            }
        } while (!PRODUCER_INDEX.compareAndSet(this, position, position + 1));
        ELEMENT.setRelease(buffer, (int) (position & mask), e);
        return position;
    }

    /**
     * Consumer only: hands up to {@code limit} elements to {@code sink}, in order, advancing the
     * consumer index after each one returns. Returns how many were handed over. A sink that
     * throws leaves that element consumed.
     */
    @SuppressWarnings("unchecked")
    int drain(Sink<? super E> sink, int limit) {
        long index = consumerIndex;
        int n = 0;
        while (n < limit) {
            int offset = (int) (index & mask);
            E e = (E) ELEMENT.getAcquire(buffer, offset);
            if (e == null) {
                break;
            }
            ELEMENT.set(buffer, offset, null);
            try {
                sink.accept(e);
            } finally {
                index++;
                n++;
                // Release: the nulled slot is visible before producers may reuse it.
                CONSUMER_INDEX.setRelease(this, index);
            }
        }
        return n;
    }

    /** Items claimed but not yet finished: exact on the consumer thread, a snapshot elsewhere. */
    long size() {
        long consumer = (long) CONSUMER_INDEX.getAcquire(this);
        long producer = (long) PRODUCER_INDEX.getVolatile(this);
        return Math.max(0, producer - consumer);
    }

    /** No position claimed and unfinished. Read by the consumer before it parks. */
    boolean isEmpty() {
        return (long) PRODUCER_INDEX.getVolatile(this) == (long) CONSUMER_INDEX.getAcquire(this);
    }

    /** Items finished by the consumer since the queue was made. */
    long consumerIndex() {
        return (long) CONSUMER_INDEX.getAcquire(this);
    }
}
