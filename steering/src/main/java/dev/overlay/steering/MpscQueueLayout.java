package dev.overlay.steering;

/**
 * The field layout of {@link MpscArrayQueue}: padding | producer fields | padding | consumer
 * fields | padding. The JVM lays a superclass's fields before its subclass's, so 128 bytes of
 * longs on each side keep the line the producers CAS apart from the line the consumer writes
 * (false sharing would otherwise make every offer pay for every poll). The technique is
 * JCTools' and Disruptor's; {@code @Contended} would need a JVM flag.
 */
final class MpscQueueLayout {
    private MpscQueueLayout() {}

    abstract static class HeadPad {
        long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15;
    }

    abstract static class ProducerFields extends HeadPad {
        /** The next position a producer claims. */
        volatile long producerIndex;
        /** A cached upper bound for producerIndex: no producer needs to read consumerIndex below it. */
        volatile long producerLimit;
    }

    abstract static class MiddlePad extends ProducerFields {
        long p20, p21, p22, p23, p24, p25, p26, p27, p28, p29, p30, p31, p32, p33, p34, p35;
    }

    abstract static class ConsumerFields extends MiddlePad {
        /** The next position the consumer reads; written by the consumer only. */
        volatile long consumerIndex;
    }

    abstract static class ConsumerPad extends ConsumerFields {
        long p40, p41, p42, p43, p44, p45, p46, p47, p48, p49, p50, p51, p52, p53, p54, p55;
    }
}
