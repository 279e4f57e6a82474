package dev.overlay.pcap.capture;

import org.pcap4j.core.PcapHandle;

/**
 * The resolution of a capture's timestamps. pcap says it in the magic number (0xa1b2c3d4 for
 * microseconds, 0xa1b23c4d for nanoseconds); pcapng in each interface's {@code if_tsresol}
 * option (default 10^-6). The tools write their output in the precision of their input, so a
 * nanosecond capture stays exact.
 */
public enum TimestampPrecision {
    MICRO(0xa1b2c3d4),
    NANO(0xa1b23c4d);

    private final int pcapMagic;

    TimestampPrecision(int pcapMagic) {
        this.pcapMagic = pcapMagic;
    }

    /** The pcap file magic that announces this precision (big-endian reading). */
    public int pcapMagic() {
        return pcapMagic;
    }

    PcapHandle.TimestampPrecision toPcap4j() {
        return this == NANO ? PcapHandle.TimestampPrecision.NANO : PcapHandle.TimestampPrecision.MICRO;
    }
}
