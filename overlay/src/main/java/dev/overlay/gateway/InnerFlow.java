package dev.overlay.gateway;

import dev.overlay.steering.SteeringHash;
import dev.overlay.vtep.Ethernet;
import io.netty.buffer.ByteBuf;

/**
 * A symmetric hash of an inner frame's flow: the same for both directions of a conversation, so
 * that {@code rfs} can steer received packets to the worker that transmitted the flow (Linux RFS
 * keys its tables on the socket's flow; the overlay sees both directions as frames). vtep's
 * FlowHash is directional on purpose (the outer source port), so it cannot serve here.
 */
final class InnerFlow {
    private InnerFlow() {}

    static int hash(ByteBuf frame) {
        int at = frame.readerIndex();
        int end = frame.writerIndex();
        if (end - at < Ethernet.HEADER_LENGTH) {
            return 0;
        }
        int type = Ethernet.etherType(frame, at);
        int l3 = at + Ethernet.HEADER_LENGTH;
        if (type == Ethernet.TYPE_IPV4 && end - l3 >= 20) {
            int a = frame.getInt(l3 + 12);
            int b = frame.getInt(l3 + 16);
            int protocol = frame.getUnsignedByte(l3 + 9);
            int ports = 0;
            int l4 = l3 + (frame.getUnsignedByte(l3) & 0x0F) * 4;
            if ((protocol == 6 || protocol == 17) && end - l4 >= 4) {
                int p = frame.getUnsignedShort(l4);
                int q = frame.getUnsignedShort(l4 + 2);
                ports = Math.min(p, q) << 16 | Math.max(p, q);
            }
            // Sum and xor are both order-independent; together they separate (a, b) from most others.
            return SteeringHash.mix(SteeringHash.mix((a + b) ^ protocol) ^ (a ^ b) ^ ports);
        }
        if (type == Ethernet.TYPE_IPV6 && end - l3 >= 40) {
            int h = 0;
            for (int i = 8; i < 24; i += 4) {
                int a = frame.getInt(l3 + i);
                int b = frame.getInt(l3 + i + 16);
                h = SteeringHash.mix(h ^ (a + b)) ^ (a ^ b);
            }
            return SteeringHash.mix(h ^ frame.getUnsignedByte(l3 + 6));
        }
        long a = Ethernet.source(frame, at);
        long b = Ethernet.destination(frame, at);
        long sum = a + b;
        return SteeringHash.mix((int) sum ^ (int) (sum >>> 32) ^ (int) (a ^ b) ^ type);
    }
}
