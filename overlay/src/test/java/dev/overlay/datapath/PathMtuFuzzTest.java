package dev.overlay.datapath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.time.Duration;

/**
 * Coverage-guided fuzzing (Jazzer) of what reads a tenant's frame on the tx path before it is
 * encapsulated: {@link PathMtu#check} (tags, IPv4 flags and addresses, IPv6 extension headers,
 * ICMP types), the ICMP error built for a frame it refuses, {@link Ipv4Fragmenter} (options),
 * {@link MssClamp} (TCP options) and {@link PathMtu#segmentsFit}. Seeds in
 * {@code PathMtuFuzzTestInputs/} replay in every test run; {@code JAZZER_FUZZ=1} fuzzes.
 *
 * <p>Input: bytes 0-1 the tenant MTU (big-endian), byte 2 a GSO size / 8; the rest the frame, in
 * a buffer with the datapath's headroom, as a port hands it over.
 *
 * <p>Invariants: no exception and no hang; FITS exactly when the frame fits; an ICMP error is an
 * IPv4 or IPv6 packet of at most 576 / 1280 bytes behind the frame's Ethernet header and tags;
 * fragments each fit the MTU and carry IPv4; clamping changes no length and no byte outside the
 * TCP header; the caller's buffer is neither released nor retained.
 */
class PathMtuFuzzTest {
    private static final boolean FUZZING = System.getenv("JAZZER_FUZZ") != null;

    @FuzzTest(maxDuration = "20s")
    void checkAndAnswerArbitraryFrame(byte[] input) {
        if (input.length < 3) {
            return;
        }
        if (FUZZING) {
            run(input);
        } else {
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> run(input));
        }
    }

    private static void run(byte[] input) {
        int mtu = ((input[0] & 0xFF) << 8) | (input[1] & 0xFF);
        int gso = (input[2] & 0xFF) * 8;
        ByteBuf frame = Buffers.frame(UnpooledByteBufAllocator.DEFAULT, input, 3, input.length - 3);
        int length = frame.readableBytes();
        try {
            PathMtu.Verdict verdict = PathMtu.check(frame, mtu);
            assertEquals(PathMtu.fits(frame, mtu), verdict == PathMtu.Verdict.FITS);
            PathMtu.segmentsFit(frame, -1, gso, mtu);
            switch (verdict) {
                case ICMP -> {
                    ByteBuf reply = PathMtu.icmpReply(UnpooledByteBufAllocator.DEFAULT, frame, mtu, input[2] & 0x0F);
                    try {
                        assertTrue(reply.readableBytes() <= 14 + 3 * 4 + 1280, () -> "reply of " + reply.readableBytes());
                        // The frame's own tags, and the one inserted in front of them.
                        int l3 = reply.readerIndex() + PathMtu.l3Offset(frame) - frame.readerIndex() + 4;
                        int version = reply.getUnsignedByte(l3) >> 4;
                        assertTrue(version == 4 && reply.writerIndex() - l3 <= 576 || version == 6 && reply.writerIndex() - l3 <= 1280);
                    } finally {
                        reply.release();
                    }
                }
                case FRAGMENT -> {
                    int[] seen = {0};
                    int n = PathMtu.fragment(frame, mtu, UnpooledByteBufAllocator.DEFAULT, f -> {
                        try {
                            assertTrue(PathMtu.fits(f, mtu), "a fragment within the MTU");
                            assertEquals(4, f.getUnsignedByte(PathMtu.l3Offset(f)) >> 4);
                            seen[0]++;
                        } finally {
                            f.release();
                        }
                    });
                    assertEquals(n < 0 ? 0 : n, seen[0]);
                }
                default -> {
                }
            }
            byte[] before = new byte[length];
            frame.getBytes(frame.readerIndex(), before);
            boolean clamped = MssClamp.clamp(frame, 536, 1220);
            assertEquals(length, frame.readableBytes());
            int changed = 0;
            for (int i = 0; i < length; i++) {
                changed += frame.getByte(frame.readerIndex() + i) != before[i] ? 1 : 0;
            }
            assertTrue(clamped ? changed >= 1 && changed <= 4 : changed == 0, "MSS and checksum only: " + changed);
            assertEquals(1, frame.refCnt(), "the caller keeps ownership");
        } finally {
            assertTrue(frame.release());
        }
    }
}
