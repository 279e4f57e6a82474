package dev.overlay.esp.transform;

import dev.overlay.esp.EspAlgorithm;
import io.netty.buffer.ByteBuf;

/** ESP with a combined-mode cipher: AAD = SPI || sequence number, IV in clear (RFC 4106 5, 4309 5, 7634 2). */
final class AeadTransform extends EspTransform {
    private final Aead aead;

    AeadTransform(EspAlgorithm algorithm, Aead aead, IvSource ivSource) {
        super(algorithm, aead.tagLength(), ivSource);
        this.aead = aead;
    }

    @Override
    public void seal(ByteBuf buf, int start, int end, long sequence, boolean esn) {
        writeIv(buf, start, sequence);
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
        super.close();
    }
}
