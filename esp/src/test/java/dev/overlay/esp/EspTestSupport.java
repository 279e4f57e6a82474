package dev.overlay.esp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.overlay.esp.transform.IvSource;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;

/** Helpers shared by the esp tests: hex, the shared vectors, SAs and buffers. */
public final class EspTestSupport {
    private static final HexFormat HEX = HexFormat.of();

    private EspTestSupport() {
    }

    public static byte[] unhex(String s) {
        return s == null ? new byte[0] : HEX.parseHex(s);
    }

    public static String hex(byte[] b) {
        return HEX.formatHex(b);
    }

    public static String hex(ByteBuf buf) {
        byte[] b = new byte[buf.readableBytes()];
        buf.getBytes(buf.readerIndex(), b);
        return hex(b);
    }

    public static JsonNode vectors(String file) throws IOException {
        String shared = System.getenv("OVERLAY_SHARED");
        Path dir = Path.of(shared == null ? "/work/shared" : shared, "vectors");
        return new ObjectMapper().readTree(Files.readString(dir.resolve(file)));
    }

    /** A key of {@code n} bytes derived from {@code seed}: distinct per test, reproducible. */
    public static byte[] key(int n, int seed) {
        byte[] k = new byte[n];
        for (int i = 0; i < n; i++) {
            k[i] = (byte) (seed * 31 + i * 7 + 1);
        }
        return k;
    }

    /** An SA pair's record with sensible defaults. */
    public static SecurityAssociation sa(int spi, SecurityAssociation.Direction direction, EspAlgorithm algorithm,
                                         int icvLength, IntegrityAlgorithm integrity, boolean esn, long initial, int window) {
        return sa(spi, direction, algorithm, icvLength, integrity, integrity == null ? 0 : integrity.keyLength(), esn,
                initial, window);
    }

    /** As above with an integrity key of {@code integrityKeyLength} bytes (any length opens; only RFC 4868's sends). */
    public static SecurityAssociation sa(int spi, SecurityAssociation.Direction direction, EspAlgorithm algorithm,
                                         int icvLength, IntegrityAlgorithm integrity, int integrityKeyLength,
                                         boolean esn, long initial, int window) {
        byte[] integrityKey = integrity == null ? null : key(integrityKeyLength, spi + 1);
        return new SecurityAssociation(spi, direction, algorithm, icvLength, key(algorithm.keyMaterialLength(), spi),
                integrity, integrityKey, SecurityAssociation.Mode.TRANSPORT, esn, initial, window,
                SecurityAssociation.Lifetime.UNLIMITED, List.of("blue"), "gw-b");
    }

    public static SecurityAssociation sa(EspAlgorithm algorithm, int icvLength, IntegrityAlgorithm integrity) {
        return sa(0x1001, SecurityAssociation.Direction.OUT, algorithm, icvLength, integrity, false, 0, 1024);
    }

    /** The default ICV length for an algorithm/integrity pair. */
    public static int icv(EspAlgorithm algorithm, IntegrityAlgorithm integrity) {
        if (algorithm.combined()) {
            return 16;
        }
        return integrity == null ? 0 : integrity.icvLength();
    }

    public static OutboundSaState outbound(SecurityAssociation sa, IvSource ivSource) {
        return new OutboundSaState(sa, System::nanoTime, ivSource);
    }

    /** A buffer holding {@code payload} with room in front and behind for ESP. */
    public static ByteBuf payload(byte[] payload, boolean direct) {
        int head = 64;
        ByteBuf buf = direct ? Unpooled.directBuffer(head + payload.length + 64) : Unpooled.buffer(head + payload.length + 64);
        buf.writerIndex(head).readerIndex(head);
        buf.writeBytes(payload);
        return buf;
    }

    /** Seals {@code payload} and returns the ESP packet's bytes. */
    public static byte[] seal(OutboundSaState sa, byte[] payload, int nextHeader) {
        ByteBuf buf = payload(payload, false);
        try {
            EspDrop drop = EspEncrypt.seal(sa, buf, nextHeader);
            if (drop != null) {
                throw new AssertionError("seal dropped: " + drop);
            }
            byte[] out = new byte[buf.readableBytes()];
            buf.readBytes(out);
            return out;
        } finally {
            buf.release();
        }
    }

    /**
     * Seals {@code payload} with a bare transform as {@link EspEncrypt#seal} lays the packet out
     * (monotonic padding to {@code block}, pad length, next header), for transforms no outbound
     * state may hold (those only opened). Closes the transform.
     */
    public static byte[] sealWith(dev.overlay.esp.transform.EspTransform transform, int spi, long sequence,
                                  byte[] payload, int nextHeader, int block) {
        int header = 8 + transform.ivLength();
        int padLength = (block - (payload.length + 2) % block) % block;
        ByteBuf buf = Unpooled.buffer(header + payload.length + padLength + 2 + transform.icvLength());
        try (transform) {
            buf.writeInt(spi).writeInt((int) sequence).writeZero(transform.ivLength()).writeBytes(payload);
            for (int i = 1; i <= padLength; i++) {
                buf.writeByte(i);
            }
            buf.writeByte(padLength).writeByte(nextHeader);
            int end = buf.writerIndex();
            transform.seal(buf, 0, end, sequence, false);
            buf.writerIndex(end + transform.icvLength());
            byte[] out = new byte[buf.readableBytes()];
            buf.readBytes(out);
            return out;
        } finally {
            buf.release();
        }
    }

    /** Opens {@code esp}; returns the drop or null, with the payload in {@code payloadOut[0]}. */
    public static EspDrop open(InboundSaState sa, byte[] esp, EspResult result, byte[][] payloadOut) {
        ByteBuf buf = payload(esp, false);
        try {
            EspDrop drop = EspDecrypt.open(sa, buf, result);
            if (payloadOut != null) {
                payloadOut[0] = new byte[buf.readableBytes()];
                buf.getBytes(buf.readerIndex(), payloadOut[0]);
            }
            return drop;
        } finally {
            buf.release();
        }
    }

    /** A fixed IV for reproducing published packets. */
    public static IvSource fixedIv(byte[] iv) {
        return (sequence, out) -> System.arraycopy(iv, 0, out, 0, out.length);
    }
}
