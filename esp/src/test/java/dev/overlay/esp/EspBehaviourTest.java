package dev.overlay.esp;

import static dev.overlay.esp.EspTestSupport.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class EspBehaviourTest {

    static Stream<Arguments> protectedTransforms() {
        return Stream.of(
                Arguments.of(EspAlgorithm.AES_GCM_128, 8, null), Arguments.of(EspAlgorithm.AES_GCM_256, 12, null),
                Arguments.of(EspAlgorithm.AES_GCM_256, 16, null), Arguments.of(EspAlgorithm.AES_CCM_128, 8, null),
                Arguments.of(EspAlgorithm.AES_CCM_256, 16, null), Arguments.of(EspAlgorithm.CHACHA20_POLY1305, 16, null),
                Arguments.of(EspAlgorithm.AES_GMAC_128, 16, null), Arguments.of(EspAlgorithm.AES_GMAC_256, 16, null),
                Arguments.of(EspAlgorithm.AES_CBC_128, 16, IntegrityAlgorithm.HMAC_SHA256_128),
                Arguments.of(EspAlgorithm.AES_CBC_256, 24, IntegrityAlgorithm.HMAC_SHA384_192),
                Arguments.of(EspAlgorithm.NULL, 32, IntegrityAlgorithm.HMAC_SHA512_256));
    }

    private static SecurityAssociation in(SecurityAssociation out) {
        return new SecurityAssociation(out.spi(), SecurityAssociation.Direction.IN, out.algorithm(), out.icvLength(),
                out.key(), out.integrity(), out.integrityKey(), out.mode(), out.esn(), 0, out.replayWindow(),
                out.lifetime(), out.tenants(), out.peer());
    }

    @ParameterizedTest(name = "{0} icv {1} {2}")
    @MethodSource("protectedTransforms")
    void everySingleBitFlipIsRefused(EspAlgorithm algorithm, int icv, IntegrityAlgorithm integrity) {
        SecurityAssociation sa = EspTestSupport.sa(algorithm, icv, integrity);
        byte[] packet;
        try (OutboundSaState out = new OutboundSaState(sa)) {
            packet = EspTestSupport.seal(out, new byte[] {1, 2, 3, 4, 5}, 17);
        }
        try (InboundSaState in = new InboundSaState(in(sa))) {
            EspResult r = new EspResult();
            for (int bit = 0; bit < packet.length * 8; bit++) {
                byte[] flipped = packet.clone();
                flipped[bit / 8] ^= (byte) (1 << (bit % 8));
                assertNotNull(EspTestSupport.open(in, flipped, r, null), "bit " + bit + " accepted");
            }
            assertEquals(0, in.counters().packets());
            assertEquals(packet.length * 8L, in.counters().totalDrops());
            byte[][] payload = new byte[1][];
            assertNull(EspTestSupport.open(in, packet, r, payload), "the unmodified packet opens");
            assertEquals("0102030405", hex(payload[0]));
            assertEquals(EspDrop.REPLAY, EspTestSupport.open(in, packet, r, null));
        }
    }

    @ParameterizedTest(name = "{0} icv {1} {2}")
    @MethodSource("protectedTransforms")
    void sealedPacketsOpenInHeapAndDirectBuffersAndCountersBalance(EspAlgorithm algorithm, int icv, IntegrityAlgorithm integrity) {
        SecurityAssociation sa = EspTestSupport.sa(algorithm, icv, integrity);
        try (OutboundSaState out = new OutboundSaState(sa); InboundSaState in = new InboundSaState(in(sa))) {
            EspResult r = new EspResult();
            for (int size = 0; size < 1500; size += 97) {
                byte[] payload = new byte[size];
                for (int i = 0; i < size; i++) {
                    payload[i] = (byte) (i ^ size);
                }
                ByteBuf buf = EspTestSupport.payload(payload, size % 2 == 0);
                try {
                    int before = buf.readerIndex();
                    assertNull(EspEncrypt.seal(out, buf, 4));
                    assertEquals(before - EspEncrypt.headroom(algorithm), buf.readerIndex());
                    assertTrue(buf.readableBytes() <= EspEncrypt.headroom(algorithm) + size + EspEncrypt.maxTrailer(sa));
                    assertEquals(0, (buf.readableBytes() - 8 - algorithm.ivLength() - icv) % algorithm.blockSize());
                    assertNull(EspDecrypt.open(in, buf, r));
                    assertEquals(hex(payload), hex(buf));
                    assertEquals(4, r.nextHeader);
                    assertEquals(out.sequence(), r.sequence);
                } finally {
                    buf.release();
                }
            }
            assertEquals(out.counters().packets(), in.counters().packets());
            assertEquals(out.counters().bytes(), in.counters().bytes());
        }
    }

    @Test
    void sequenceStopsAtTheLastNumberWithoutWrapping() {
        SecurityAssociation plain = EspTestSupport.sa(0x5001, SecurityAssociation.Direction.OUT, EspAlgorithm.AES_GCM_128,
                16, null, false, 0xFFFF_FFFEL, 0);
        try (OutboundSaState out = new OutboundSaState(plain)) {
            EspTestSupport.seal(out, new byte[4], 17);
            assertEquals(0xFFFF_FFFFL, out.sequence());
            ByteBuf buf = EspTestSupport.payload(new byte[4], false);
            assertEquals(EspDrop.SEQUENCE_EXHAUSTED, EspEncrypt.seal(out, buf, 17));
            assertEquals(4, buf.readableBytes(), "a refused payload is left as it was");
            buf.release();
            assertEquals(1, out.counters().drops(EspDrop.SEQUENCE_EXHAUSTED));
        }
        SecurityAssociation esn = EspTestSupport.sa(0x5002, SecurityAssociation.Direction.OUT, EspAlgorithm.AES_GCM_128,
                16, null, true, -2L, 0);
        try (OutboundSaState out = new OutboundSaState(esn)) {
            EspTestSupport.seal(out, new byte[4], 17);
            assertEquals(-1L, out.sequence());
            ByteBuf buf = EspTestSupport.payload(new byte[4], false);
            assertEquals(EspDrop.SEQUENCE_EXHAUSTED, EspEncrypt.seal(out, buf, 17));
            buf.release();
        }
    }

    @Test
    void hardLifetimesStopTheSa() {
        AtomicLong now = new AtomicLong(1_000);
        SecurityAssociation base = EspTestSupport.sa(EspAlgorithm.AES_GCM_128, 16, null);
        SecurityAssociation byPackets = withLifetime(base, new SecurityAssociation.Lifetime(3, 0, 0));
        try (OutboundSaState out = new OutboundSaState(byPackets, now::get)) {
            for (int i = 0; i < 3; i++) {
                EspTestSupport.seal(out, new byte[10], 17);
            }
            assertEquals(EspDrop.LIFETIME_EXPIRED, sealDrop(out));
            assertEquals(1, out.counters().drops(EspDrop.LIFETIME_EXPIRED));
        }
        try (OutboundSaState out = new OutboundSaState(withLifetime(base, new SecurityAssociation.Lifetime(0, 25, 0)), now::get)) {
            EspTestSupport.seal(out, new byte[10], 17);
            EspTestSupport.seal(out, new byte[10], 17);
            EspTestSupport.seal(out, new byte[10], 17);
            assertEquals(EspDrop.LIFETIME_EXPIRED, sealDrop(out));
        }
        SecurityAssociation bySeconds = withLifetime(base, new SecurityAssociation.Lifetime(0, 0, 60));
        byte[] packet;
        try (OutboundSaState out = new OutboundSaState(bySeconds, now::get);
             InboundSaState in = new InboundSaState(in(bySeconds), now::get)) {
            packet = EspTestSupport.seal(out, new byte[10], 17);
            now.addAndGet(59_999_999_999L);
            assertNull(sealDrop(out));
            now.addAndGet(1);
            assertEquals(EspDrop.LIFETIME_EXPIRED, sealDrop(out));
            assertEquals(EspDrop.LIFETIME_EXPIRED, EspTestSupport.open(in, packet, new EspResult(), null));
            now.set(0);
            assertEquals(EspDrop.LIFETIME_EXPIRED, sealDrop(out), "expiry is final");
        }
    }

    private static EspDrop sealDrop(OutboundSaState out) {
        ByteBuf buf = EspTestSupport.payload(new byte[10], false);
        try {
            return EspEncrypt.seal(out, buf, 17);
        } finally {
            buf.release();
        }
    }

    private static SecurityAssociation withLifetime(SecurityAssociation s, SecurityAssociation.Lifetime l) {
        return new SecurityAssociation(s.spi(), s.direction(), s.algorithm(), s.icvLength(), s.key(), s.integrity(),
                s.integrityKey(), s.mode(), s.esn(), s.initialSequence(), s.replayWindow(), l, s.tenants(), s.peer());
    }

    @Test
    void badPaddingAndBadPadLengthAreDropped() {
        // NULL without integrity: the trailer can be edited and nothing else notices.
        SecurityAssociation sa = EspTestSupport.sa(EspAlgorithm.NULL, 0, null);
        byte[] packet;
        try (OutboundSaState out = new OutboundSaState(sa)) {
            packet = EspTestSupport.seal(out, new byte[] {9, 9, 9, 9, 9}, 17);
        }
        // 8 header + 5 payload + pad 1 (to 4-byte alignment) + 2.
        assertEquals(16, packet.length);
        assertEquals("0111", hex(new byte[] {packet[13], packet[15]}));
        byte[] badByte = packet.clone();
        badByte[13] = 7;
        byte[] badLength = packet.clone();
        badLength[14] = 9;
        try (InboundSaState in = new InboundSaState(in(sa))) {
            EspResult r = new EspResult();
            assertEquals(EspDrop.BAD_PADDING, EspTestSupport.open(in, badByte, r, null));
            badLength[7] = 2;
            assertEquals(EspDrop.BAD_PADDING, EspTestSupport.open(in, badLength, r, null));
            assertEquals(2, in.counters().drops(EspDrop.BAD_PADDING));
        }
    }

    @Test
    void dummyPacketIsDroppedButCounted() {
        SecurityAssociation sa = EspTestSupport.sa(EspAlgorithm.CHACHA20_POLY1305, 16, null);
        try (OutboundSaState out = new OutboundSaState(sa); InboundSaState in = new InboundSaState(in(sa))) {
            byte[] packet = EspTestSupport.seal(out, new byte[0], EspDecrypt.DUMMY_NEXT_HEADER);
            EspResult r = new EspResult();
            assertEquals(EspDrop.DUMMY, EspTestSupport.open(in, packet, r, null));
            assertEquals(59, r.nextHeader);
            assertEquals(1, in.counters().drops(EspDrop.DUMMY));
            assertEquals(0, in.counters().packets());
        }
    }

    @Test
    void truncatedAndMisalignedPacketsAreDroppedBeforeAnyCryptography() {
        SecurityAssociation sa = EspTestSupport.sa(EspAlgorithm.AES_CBC_128, 16, IntegrityAlgorithm.HMAC_SHA256_128);
        try (OutboundSaState out = new OutboundSaState(sa); InboundSaState in = new InboundSaState(in(sa))) {
            byte[] packet = EspTestSupport.seal(out, new byte[30], 17);
            EspResult r = new EspResult();
            assertEquals(EspDrop.TRUNCATED, EspTestSupport.open(in, java.util.Arrays.copyOf(packet, 8 + 16 + 16), r, null));
            assertEquals(EspDrop.BAD_LENGTH, EspTestSupport.open(in, java.util.Arrays.copyOf(packet, packet.length - 1), r, null));
            assertEquals(EspDrop.TRUNCATED, EspTestSupport.open(in, new byte[3], r, null));
        }
    }

    @Test
    void missingHeadroomOrTailroomIsMisuse() {
        SecurityAssociation sa = EspTestSupport.sa(EspAlgorithm.AES_GCM_128, 16, null);
        try (OutboundSaState out = new OutboundSaState(sa)) {
            ByteBuf noHead = io.netty.buffer.Unpooled.buffer(100).writeBytes(new byte[10]);
            assertThrows(IllegalArgumentException.class, () -> EspEncrypt.seal(out, noHead, 17));
            noHead.release();
            ByteBuf ok = EspTestSupport.payload(new byte[1], false);
            assertThrows(IllegalArgumentException.class, () -> EspEncrypt.seal(out, ok, 256));
            ok.release();
        }
    }

    @Test
    void keysNeverAppearInToStringAndClosedSasRefuse() {
        SecurityAssociation sa = EspTestSupport.sa(EspAlgorithm.AES_CBC_256, 24, IntegrityAlgorithm.HMAC_SHA384_192);
        String text = sa.toString() + new OutboundSaState(sa) + new InboundSaState(in(sa));
        assertFalse(text.contains(hex(sa.key()).substring(0, 8)), text);
        assertFalse(text.contains(hex(sa.integrityKey()).substring(0, 8)), text);

        SaDatabase db = new SaDatabase();
        InboundSaState in = new InboundSaState(in(sa));
        OutboundSaState out = new OutboundSaState(sa);
        db.add(in);
        db.add(out);
        assertSame(in, db.inbound(sa.spi()));
        assertSame(out, db.outbound(sa.spi()));
        assertThrows(IllegalArgumentException.class, () -> db.add(new InboundSaState(in(sa))));
        byte[] packet = EspTestSupport.seal(out, new byte[10], 17);
        assertTrue(db.removeInbound(sa.spi()));
        assertNull(db.inbound(sa.spi()));
        assertEquals(EspDrop.SA_CLOSED, EspTestSupport.open(in, packet, new EspResult(), null));
        db.close();
        assertEquals(List.of(), db.outbounds());
        assertEquals(EspDrop.SA_CLOSED, sealDrop(out));

        sa.wipe();
        assertEquals(hex(new byte[sa.key().length]), hex(sa.key()));
    }

    @Test
    void databaseLooksUpManySpisIncludingReservedOnes() {
        SaDatabase db = new SaDatabase();
        int[] spis = {0, 1, 255, 256, 0x1001, -1, Integer.MIN_VALUE};
        for (int i = 0; i < 200; i++) {
            int spi = i < spis.length ? spis[i] : 0x10000 + i * 7919;
            db.add(new InboundSaState(EspTestSupport.sa(spi, SecurityAssociation.Direction.IN, EspAlgorithm.NULL, 0, null,
                    false, 0, 64)));
        }
        assertEquals(200, db.inbounds().size());
        for (int spi : spis) {
            assertEquals(spi, db.inbound(spi).spi());
        }
        assertNull(db.inbound(2));
        assertTrue(db.removeInbound(0));
        assertNull(db.inbound(0));
        assertEquals(-1, db.inbound(-1).spi());
        db.close();
    }
}
