package dev.overlay.testpcaps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.overlay.pcap.capture.CaptureReader;
import dev.overlay.pcap.capture.CapturedPacket;
import dev.overlay.pcap.capture.TimestampPrecision;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Each committed capture read by CaptureReader, judged by tshark. */
class CommittedCapturesTest {
    @ParameterizedTest
    @CsvSource({"tenant-blue.pcap, 16, MICRO", "tenant-red.pcap, 16, MICRO", "tenant-blue-nsec.pcap, 16, NANO",
            "tenants-trunk.pcapng, 34, NANO"})
    void readsTheFramesTsharkCounts(String name, int frames, TimestampPrecision precision) throws IOException {
        Path capture = Tools.capture(name);
        List<String[]> tshark = Tools.tsharkFields(capture, "frame.time_epoch", "frame.len");
        List<CapturedPacket> packets = readAll(capture, precision);
        assertEquals(frames, tshark.size(), "tshark's count of " + name);
        assertEquals(tshark.size(), packets.size(), "CaptureReader's count of " + name);
        for (int i = 0; i < packets.size(); i++) {
            CapturedPacket p = packets.get(i);
            assertEquals(tshark.get(i)[0], p.epochSeconds() + "." + String.format("%09d", p.nanos()), name + " frame " + (i + 1));
            assertEquals(Integer.parseInt(tshark.get(i)[1]), p.bytes().length, name + " frame " + (i + 1));
        }
    }

    @Test
    void tenantsOverlapInAddressesButNotInMacs() {
        for (String tenant : List.of("blue", "red")) {
            Set<String> addresses = new TreeSet<>();
            for (String[] row : Tools.tsharkFields(Tools.capture("tenant-" + tenant + ".pcap"),
                    "ip.src", "ip.dst", "arp.src.proto_ipv4", "arp.dst.proto_ipv4")) {
                Arrays.stream(row).filter(field -> !field.isEmpty()).forEach(addresses::add);
            }
            assertEquals(Set.of("10.0.0.1", "10.0.0.2"), addresses, tenant);
        }
        assertEquals(Set.of("02:00:00:00:01:01", "02:00:00:00:01:02"), macs("tenant-blue.pcap"));
        assertEquals(Set.of("02:00:00:00:02:01", "02:00:00:00:02:02"), macs("tenant-red.pcap"));
    }

    private static Set<String> macs(String capture) {
        Set<String> macs = new TreeSet<>();
        Tools.tsharkFields(Tools.capture(capture), "eth.src").forEach(row -> macs.add(row[0]));
        return macs;
    }

    @Test
    void trunkCarriesBothTenantsTaggedPlusOneUntaggedAndOneUnknownVlan() {
        Map<String, Integer> perVlan = new TreeMap<>();
        for (String[] row : Tools.tsharkFields(Tools.capture("tenants-trunk.pcapng"), "vlan.id")) {
            perVlan.merge(row[0].isEmpty() ? "untagged" : row[0], 1, Integer::sum);
        }
        assertEquals(Map.of("101", 16, "102", 16, "999", 1, "untagged", 1), perVlan);
    }

    @Test
    void trunkFramesWithTheirTagRemovedAreTheTenantFrames() throws IOException {
        List<CapturedPacket> trunk = readAll(Tools.capture("tenants-trunk.pcapng"), TimestampPrecision.NANO);
        for (var tenant : Map.of("blue", 101, "red", 102).entrySet()) {
            List<CapturedPacket> own = readAll(Tools.capture("tenant-" + tenant.getKey() + ".pcap"), TimestampPrecision.MICRO);
            List<byte[]> untagged = new ArrayList<>();
            for (CapturedPacket p : trunk) {
                byte[] b = p.bytes();
                if ((b[12] & 0xff) == 0x81 && b[13] == 0 && ((b[14] & 0x0f) << 8 | (b[15] & 0xff)) == tenant.getValue()) {
                    byte[] frame = new byte[b.length - 4];
                    System.arraycopy(b, 0, frame, 0, 12);
                    System.arraycopy(b, 16, frame, 12, b.length - 16);
                    untagged.add(frame);
                }
            }
            assertEquals(own.size(), untagged.size(), tenant.getKey());
            for (int i = 0; i < own.size(); i++) {
                assertArrayEquals(own.get(i).bytes(), untagged.get(i), tenant.getKey() + " frame " + (i + 1));
            }
        }
    }

    @Test
    void nanosecondBlueIsBlueFrameForFrame() throws IOException {
        List<CapturedPacket> micro = readAll(Tools.capture("tenant-blue.pcap"), TimestampPrecision.MICRO);
        List<CapturedPacket> nano = readAll(Tools.capture("tenant-blue-nsec.pcap"), TimestampPrecision.NANO);
        assertEquals(micro.size(), nano.size());
        for (int i = 0; i < micro.size(); i++) {
            assertArrayEquals(micro.get(i).bytes(), nano.get(i).bytes());
            assertEquals(micro.get(i).epochNanos(), nano.get(i).epochNanos());
        }
    }

    private static List<CapturedPacket> readAll(Path capture, TimestampPrecision precision) throws IOException {
        List<CapturedPacket> packets = new ArrayList<>();
        try (CaptureReader reader = CaptureReader.open(capture)) {
            assertEquals(precision, reader.precision(), capture.getFileName().toString());
            for (CapturedPacket p; (p = reader.next()) != null; ) {
                packets.add(p);
            }
        }
        return packets;
    }
}
