package dev.overlay.pcap.capture;

/**
 * One record of a capture: the captured bytes, when it was captured, and how long the frame was
 * on the wire ({@code originalLength}, larger than {@code bytes.length} when the capture used a
 * snap length). The array is the reader's own fresh copy, so the caller may keep or change it;
 * equality is the record default (array identity).
 *
 * @param bytes the captured frame, starting with the Ethernet header
 * @param epochSeconds seconds since 1970-01-01T00:00:00Z
 * @param nanos nanoseconds within the second, 0..999,999,999 (a multiple of 1000 when the
 *     capture has microsecond precision)
 * @param originalLength the frame's length on the wire, at least {@code bytes.length}
 */
public record CapturedPacket(byte[] bytes, long epochSeconds, int nanos, int originalLength) {
    public CapturedPacket {
        if (bytes == null) {
            throw new NullPointerException("bytes");
        }
        if (epochSeconds < 0) {
            throw new IllegalArgumentException("epochSeconds: " + epochSeconds + " (expected: >= 0)");
        }
        if (nanos < 0 || nanos > 999_999_999) {
            throw new IllegalArgumentException("nanos: " + nanos + " (expected: 0-999999999)");
        }
        if (originalLength < bytes.length) {
            throw new IllegalArgumentException(
                    "originalLength: " + originalLength + " (expected: >= " + bytes.length + ")");
        }
    }

    /** A packet whose captured bytes are the whole frame. */
    public CapturedPacket(byte[] bytes, long epochSeconds, int nanos) {
        this(bytes, epochSeconds, nanos, bytes.length);
    }

    /** The capture time in nanoseconds since the epoch, for ordering and arithmetic. */
    public long epochNanos() {
        return Math.addExact(Math.multiplyExact(epochSeconds, 1_000_000_000L), nanos);
    }
}
