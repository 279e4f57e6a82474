package dev.overlay.esp.transform;

import dev.overlay.esp.EspAlgorithm;
import io.netty.buffer.ByteBuf;
import java.util.Arrays;

/** ESP with a combined-mode cipher: AAD = SPI || sequence number, IV in clear (RFC 4106 5, 4309 5, 7634 2). */
final class AeadTransform extends EspTransform {
    private final Aead aead;
    private final IvSource ivSource;
    private final byte[] iv = new byte[8];

    AeadTransform(EspAlgorithm algorithm, Aead aead, IvSource ivSource) {
        super(algorithm, aead.tagLength());
        this.aead = aead;
        this.ivSource = ivSource;
    }

    @Override
    public void seal(ByteBuf buf, int start, int end, long sequence, boolean esn) {
        ivSource.next(sequence, iv);
        buf.setBytes(start + 8, iv);
        int aadLength = aad(buf, start, sequence, esn);
        aead.seal(buf.getLong(start + 8), aad, aadLength, buf, start + 16, end - start - 16);
    }

    @Override
    public boolean open(ByteBuf buf, int start, int end, long sequence, boolean esn) {
        int aadLength = aad(buf, start, sequence, esn);
        return aead.open(buf.getLong(start + 8), aad, aadLength, buf, start + 16, end - start - 16);
    }

    @Override
    public void close() {
        aead.close();
        Arrays.fill(iv, (byte) 0);
    }
}
