package dev.overlay.esp.transform;

import dev.overlay.esp.EspAlgorithm;
import io.netty.buffer.ByteBuf;

/**
 * ENCR_NULL_AUTH_AES_GMAC (RFC 4543 3.3): nothing encrypted; the AAD is SPI || [seq high] ||
 * seq low || IV || payload || trailer, and the GCM tag over it is the 16-byte ICV.
 */
final class GmacTransform extends EspTransform {
    private final Gmac gcm;

    GmacTransform(EspAlgorithm algorithm, Gmac gcm, IvSource ivSource) {
        super(algorithm, 16, ivSource);
        this.gcm = gcm;
    }

    @Override
    public void seal(ByteBuf buf, int start, int end, long sequence, boolean esn) {
        writeIv(buf, start, sequence);
        int aadLength = aad(buf, start, sequence, esn);
        gcm.macSeal(buf.getLong(start + 8), aad, aadLength, buf, start + 8, end - start - 8);
    }

    @Override
    public boolean open(ByteBuf buf, int start, int end, long sequence, boolean esn) {
        int aadLength = aad(buf, start, sequence, esn);
        return gcm.macOpen(buf.getLong(start + 8), aad, aadLength, buf, start + 8, end - start - 8);
    }

    @Override
    public void close() {
        gcm.close();
        super.close();
    }
}
