package dev.overlay.demo;

import dev.overlay.cli.UserException;
import dev.overlay.pcap.capture.CaptureException;
import dev.overlay.pcap.capture.CaptureReader;
import dev.overlay.pcap.capture.CapturedPacket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A tenant's conversation from {@code test-pcaps/}: the frames of both hosts, in capture order.
 * The host that sent the first frame sits behind gw-a, the other behind gw-b, so each frame is
 * replayed at the side its source MAC lives on.
 */
record TenantFrames(String tenant, List<byte[]> frames, List<Boolean> fromA) {

    TenantFrames {
        frames = List.copyOf(frames);
        fromA = List.copyOf(fromA);
    }

    static TenantFrames load(Path repo, String tenant) {
        List<byte[]> frames = read(repo.resolve("test-pcaps/tenant-" + tenant + ".pcap"));
        List<Boolean> fromA = new ArrayList<>();
        long hostA = frames.isEmpty() ? 0 : sourceMac(frames.get(0));
        for (byte[] f : frames) {
            fromA.add(sourceMac(f) == hostA);
        }
        return new TenantFrames(tenant, frames, fromA);
    }

    /** Every frame of a capture; an unreadable capture is one sentence and exit 1. */
    static List<byte[]> read(Path file) {
        List<byte[]> frames = new ArrayList<>();
        try (CaptureReader reader = CaptureReader.open(file)) {
            for (CapturedPacket p; (p = reader.next()) != null; ) {
                frames.add(p.bytes());
            }
        } catch (CaptureException e) {
            throw new UserException(UserException.UNREADABLE_INPUT, e.getMessage(), e);
        }
        return frames;
    }

    private static long sourceMac(byte[] frame) {
        long mac = 0;
        for (int i = 6; i < 12 && i < frame.length; i++) {
            mac = mac << 8 | (frame[i] & 0xff);
        }
        return mac;
    }
}
