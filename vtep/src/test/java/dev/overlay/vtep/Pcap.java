package dev.overlay.vtep;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The classic pcap format, Ethernet link type: enough to feed tshark and read the vectors. */
final class Pcap {
    private static final int MAGIC_MICROS = 0xA1B2C3D4;
    private static final int MAGIC_NANOS = 0xA1B23C4D;

    private Pcap() {}

    static void write(Path file, List<byte[]> frames) throws IOException {
        int size = 24 + frames.stream().mapToInt(f -> 16 + f.length).sum();
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC_MICROS).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0)
                .putInt(65535).putInt(1);
        int second = 1_700_000_000;
        for (byte[] f : frames) {
            b.putInt(second++).putInt(0).putInt(f.length).putInt(f.length).put(f);
        }
        Files.write(file, b.array());
    }

    static List<byte[]> read(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int magic = b.getInt(0);
        if (magic != MAGIC_MICROS && magic != MAGIC_NANOS) {
            b.order(ByteOrder.BIG_ENDIAN);
        }
        b.position(24);
        List<byte[]> frames = new ArrayList<>();
        while (b.remaining() >= 16) {
            b.getInt();
            b.getInt();
            int captured = b.getInt();
            b.getInt();
            byte[] f = new byte[captured];
            b.get(f);
            frames.add(f);
        }
        return frames;
    }
}
