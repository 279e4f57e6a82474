package dev.overlay.gateway.port;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.overlay.datapath.Buffers;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.logging.Logger;

/**
 * Coverage-guided fuzzing (Jazzer) of what the TAP and pcap readers do with a frame the kernel
 * handed over: the virtio header's fields as read, or none (a pcap port's fallback, where the
 * tenant's frame itself is parsed to find its checksum and its MSS). Files under
 * {@code SoftwareOffloadsFuzzTestInputs/} replay in every test run; {@code JAZZER_FUZZ=1} fuzzes
 * (FUZZING.md).
 *
 * <p>Input: bytes 0-9 a virtio_net_hdr (little-endian, as the kernel writes it); byte 10 bit 0:
 * read without one (its other bits: the checksum is partial), bytes 11-12 the MTU for that
 * (576 + the value modulo 8,425); the rest is the frame.
 *
 * <p>Invariants: no exception and no hang; the frame read is neither changed nor released;
 * refused, nothing reaches the sink; delivered, every frame reaches it with the datapath's
 * headroom and tailroom, no longer than {@link Ports#MAX_FRAME}, and counted in rxFrames.
 */
class SoftwareOffloadsFuzzTest {
    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

    @FuzzTest(maxDuration = "20s")
    void anyFrameIsDeliveredWholeOrRefusedWithNothingDelivered(byte[] input) {
        if (input.length < 13) {
            return;
        }
        List<ByteBuf> delivered = new ArrayList<>();
        PortCounters counters = new PortCounters();
        SoftwareOffloads offloads = new SoftwareOffloads(null, ALLOC, counters, (port, frame) -> delivered.add(frame),
                Logger.getLogger(SoftwareOffloadsFuzzTest.class.getName()));
        ByteBuf in = ALLOC.directBuffer(input.length + 16);
        in.writeBytes(input);
        in.readerIndex(13);
        int mtu = 576 + (in.getUnsignedShortLE(11) % 8_425);
        byte[] before = Arrays.copyOfRange(input, 13, input.length);
        boolean ok;
        try {
            if ((input[10] & 1) == 0) {
                ok = offloads.withHeader(in, VirtioNetHeader.flags(in, 0), in.getUnsignedByte(1),
                        VirtioNetHeader.gsoSize(in, 0), VirtioNetHeader.csumStart(in, 0), VirtioNetHeader.csumOffset(in, 0));
            } else {
                ok = offloads.withoutHeader(in, (input[10] & 2) != 0, mtu);
            }
            assertEquals(1, in.refCnt());
            assertEquals(13, in.readerIndex());
            byte[] after = new byte[in.readableBytes()];
            in.getBytes(13, after);
            assertTrue(Arrays.equals(before, after), "the frame read was changed");
            if (!ok) {
                assertEquals(0, delivered.size());
            }
            assertEquals(delivered.size(), counters.rxFrames.sum());
            for (ByteBuf f : delivered) {
                assertEquals(Buffers.HEADROOM, f.readerIndex());
                assertTrue(f.writableBytes() >= Buffers.TAILROOM);
                assertTrue(f.readableBytes() <= Ports.MAX_FRAME, () -> f.readableBytes() + " bytes delivered");
            }
        } finally {
            in.release();
            delivered.forEach(ByteBuf::release);
        }
    }
}
