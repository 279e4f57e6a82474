package dev.overlay.esp;

import dev.overlay.esp.transform.EspTransform;
import io.netty.buffer.ByteBuf;

/**
 * esp-encrypt: protects one payload in place (RFC 4303 3.3).
 *
 * <ol>
 *   <li>Refuse a closed, expired or exhausted SA (RFC 4303 3.3.3: never wrap; rekey instead),
 *       and a sequence number beyond the SA's persisted reservation, if it has one (a restart
 *       must never send a sequence number, the counter modes' nonce, twice under one key).</li>
 *   <li>Append padding 1, 2, 3, ... to the cipher's alignment, pad length, next header (2.4, 2.5).</li>
 *   <li>Assign the next sequence number; prepend SPI and its low 32 bits into the headroom.</li>
 *   <li>The transform writes the IV, encrypts and appends the ICV (3.3.2).</li>
 * </ol>
 */
public final class EspEncrypt {
    private EspEncrypt() {
    }

    /** Bytes in front of the payload that {@link #seal} needs: SPI, sequence number, IV. */
    public static int headroom(EspAlgorithm algorithm) {
        return 8 + algorithm.ivLength();
    }

    /** The most bytes {@link #seal} appends: padding, pad length, next header, ICV. */
    public static int maxTrailer(SecurityAssociation sa) {
        return sa.algorithm().blockSize() - 1 + 2 + sa.icvLength();
    }

    /**
     * Seals {@code buf}'s readable bytes (the payload: a UDP datagram in transport mode with
     * next header 17, an inner IP packet in tunnel mode with 4 or 41) into an ESP packet, in
     * place: on success the readable bytes run from SPI to ICV and {@code null} is returned;
     * on a drop {@code buf} is unchanged and the reason (already counted) is returned. The
     * buffer stays the caller's either way.
     *
     * @throws IllegalArgumentException when {@code buf} lacks {@link #headroom} or {@link #maxTrailer}
     */
    public static EspDrop seal(OutboundSaState sa, ByteBuf buf, int nextHeader) {
        if (nextHeader < 0 || nextHeader > 255) {
            throw new IllegalArgumentException("nextHeader: " + nextHeader + " (expected: 0-255)");
        }
        SaCounters counters = sa.counters();
        EspDrop drop = sa.closed ? EspDrop.SA_CLOSED
                : sa.lifetime.expired(counters.packets(), counters.bytes()) ? EspDrop.LIFETIME_EXPIRED
                : sa.exhausted() ? EspDrop.SEQUENCE_EXHAUSTED
                // One plain compare per packet; the reservation (a volatile) is read past checkAfter only.
                : Long.compareUnsigned(sa.sequence + 1, sa.checkAfter) > 0 ? sa.checkReservation(sa.sequence + 1)
                : null;
        if (drop != null) {
            counters.drop(drop);
            return drop;
        }
        EspTransform transform = sa.transform;
        int header = 8 + transform.ivLength();
        int payload = buf.readableBytes();
        int block = transform.algorithm().blockSize();
        // RFC 4303 2.4: pad so that payload || padding || 2 ends on the block (or 4-byte) boundary.
        int padLength = (block - (payload + 2) % block) % block;
        int trailer = padLength + 2;
        if (buf.readerIndex() < header) {
            throw new IllegalArgumentException("headroom: " + buf.readerIndex() + " (expected: >= " + header + ")");
        }
        if (buf.writableBytes() < trailer + transform.icvLength()) {
            throw new IllegalArgumentException("tailroom: " + buf.writableBytes()
                    + " (expected: >= " + (trailer + transform.icvLength()) + ")");
        }
        int w = buf.writerIndex();
        for (int i = 1; i <= padLength; i++) {
            // RFC 4303 2.4: the default padding is the monotonic series 1, 2, 3, ...
            buf.setByte(w + i - 1, i);
        }
        buf.setByte(w + padLength, padLength);
        buf.setByte(w + padLength + 1, nextHeader);
        long sequence = ++sa.sequence;
        int start = buf.readerIndex() - header;
        buf.setInt(start, sa.spi());
        buf.setInt(start + 4, (int) sequence);
        int end = w + trailer;
        transform.seal(buf, start, end, sequence, sa.esn());
        buf.setIndex(start, end + transform.icvLength());
        counters.success(payload);
        return null;
    }
}
