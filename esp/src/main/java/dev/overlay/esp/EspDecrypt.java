package dev.overlay.esp;

import dev.overlay.esp.transform.EspTransform;
import io.netty.buffer.ByteBuf;

/**
 * esp-decrypt: verifies and opens one ESP packet in place (RFC 4303 3.4).
 *
 * <ol>
 *   <li>Refuse a closed or expired SA; check the length (3.4.1 wants whole blocks for CBC).</li>
 *   <li>Infer the sequence number's high half with ESN (Appendix A2.2; until a packet verifies, an
 *       SA read from a dump tries a few, {@link EsnResync}); replay CHECK (3.4.3).</li>
 *   <li>Verify the ICV, then decrypt (3.4.4); replay ADVANCE only now.</li>
 *   <li>Check pad length and padding (2.4); strip header, IV and trailer by moving indices.</li>
 *   <li>Next header 59 is a dummy packet (2.6): authenticated, counted, discarded.</li>
 * </ol>
 */
public final class EspDecrypt {
    /** RFC 4303 2.6: "No Next Header" marks traffic-flow-confidentiality dummy packets. */
    public static final int DUMMY_NEXT_HEADER = 59;

    private EspDecrypt() {
    }

    /** The SPI of an ESP packet at {@code offset}, for classification and the SA lookup. */
    public static int spi(ByteBuf buf, int offset) {
        return buf.getInt(offset);
    }

    /**
     * Opens {@code buf}'s readable bytes (the ESP packet from SPI to ICV). On success returns
     * {@code null}: the readable bytes are the protected payload and {@code out} holds next
     * header and sequence number. On a drop returns the reason (already counted on the SA);
     * the buffer's content is then unspecified, its indices unchanged (except for
     * {@link EspDrop#DUMMY}, where they frame the empty or filler payload). The buffer stays the caller's.
     */
    public static EspDrop open(InboundSaState sa, ByteBuf buf, EspResult out) {
        out.clear();
        EspDrop drop = check(sa, buf, out);
        if (drop != null) {
            sa.counters().drop(drop);
        }
        return drop;
    }

    private static EspDrop check(InboundSaState sa, ByteBuf buf, EspResult out) {
        SaCounters counters = sa.counters();
        if (sa.closed) {
            return EspDrop.SA_CLOSED;
        }
        if (sa.lifetime.expired(counters.packets(), counters.bytes())) {
            return EspDrop.LIFETIME_EXPIRED;
        }
        EspTransform transform = sa.transform;
        int ivLength = transform.ivLength();
        int icvLength = transform.icvLength();
        int start = buf.readerIndex();
        int encrypted = buf.readableBytes() - 8 - ivLength - icvLength;
        if (encrypted < 2) {
            return EspDrop.TRUNCATED;
        }
        int block = transform.algorithm().blockSize();
        if (transform.algorithm().cbc() && encrypted % block != 0) {
            return EspDrop.BAD_LENGTH;
        }
        ReplayWindow replay = sa.replay;
        int low = buf.getInt(start + 4);
        int end = buf.writerIndex() - icvLength;
        long sequence;
        if (sa.resync) {
            // An ESN SA from a dump, before any packet verified: its high half is tried (EsnResync).
            sequence = EsnResync.open(sa, buf, start, end, low);
            if (sequence == 0) {
                return EspDrop.INTEGRITY;
            }
            sa.resync = false;
        } else {
            sequence = sa.esn() ? Esn.infer(low, replay.top(), replay.size()) : low & 0xFFFF_FFFFL;
            // CHECK before the ICV: a replayed packet costs no cryptography (RFC 4303 3.4.3 says
            // the check SHOULD come first for this reason).
            if (!replay.check(sequence)) {
                return EspDrop.REPLAY;
            }
            if (!transform.open(buf, start, end, sequence, sa.esn())) {
                return EspDrop.INTEGRITY;
            }
        }
        // ADVANCE only after the ICV verified: an unauthenticated sequence number must never
        // move the window, or a forger could slide it past genuine packets and make them all
        // look replayed (RFC 4303 3.4.3: "only after ... integrity check succeeded").
        replay.advance(sequence);
        int padLength = buf.getUnsignedByte(end - 2);
        int nextHeader = buf.getUnsignedByte(end - 1);
        int payloadStart = start + 8 + ivLength;
        int payloadEnd = end - 2 - padLength;
        if (payloadEnd < payloadStart) {
            return EspDrop.BAD_PADDING;
        }
        for (int i = 1; i <= padLength; i++) {
            if (buf.getUnsignedByte(payloadEnd + i - 1) != i) {
                return EspDrop.BAD_PADDING;
            }
        }
        buf.setIndex(payloadStart, payloadEnd);
        out.nextHeader = nextHeader;
        out.sequence = sequence;
        if (nextHeader == DUMMY_NEXT_HEADER) {
            return EspDrop.DUMMY;
        }
        counters.success(payloadEnd - payloadStart);
        return null;
    }
}
