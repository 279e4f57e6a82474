package dev.overlay.pcap.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Reading against tshark and scapy, which read the same files with their own code. */
class CaptureReaderTest {
    /** 40 frames of UDP, TCP and ICMP, 42 to ~1400 bytes, timestamps with odd nanoseconds. */
    static final String GENERATE = """
      import sys
      from scapy.all import Ether, IP, UDP, TCP, ICMP, Raw, wrpcap, PcapWriter, PcapNgWriter
      from scapy.utils import EDecimal
      out = sys.argv[1]
      frames = []
      for i in range(40):
          l3 = IP(src="10.0.0.1", dst="10.0.0.2", id=i, ttl=64)
          if i % 3 == 0:
              l4 = UDP(sport=1000 + i, dport=4789)
          elif i % 3 == 1:
              l4 = TCP(sport=1000 + i, dport=80, seq=i, flags="PA")
          else:
              l4 = ICMP(id=7, seq=i)
          p = Ether(src="02:00:00:00:01:01", dst="02:00:00:00:01:02") / l3 / l4 / Raw(bytes([i]) * ((i * 97) % 1400))
          nanos = {1: 0, 2: 999999000}.get(i, (123456789 + i * 7919) % 1000000000)
          p.time = EDecimal("%d.%09d" % (1700000000 + i * 61, nanos))
          frames.append(p)
      wrpcap(out + "/micro.pcap", frames)
      wrpcap(out + "/nano.pcap", frames, nano=True)
      w = PcapWriter(out + "/big-endian-nano.pcap", nano=True, endianness=">")
      w.write(frames)
      w.close()
      w = PcapNgWriter(out + "/micro.pcapng")
      for p in frames:
          w.write(p)
      w.close()
      wrpcap(out + "/raw.pcap", [f[IP] for f in frames[:3]], linktype=101)
      """;

    static final String SCAPY_BYTES = """
      import sys
      from scapy.all import rdpcap
      for p in rdpcap(sys.argv[1]):
          print(bytes(p).hex())
      """;

    @TempDir static Path dir;

    @BeforeAll
    static void generate() {
        Oracles.python(GENERATE, dir.toString());
        Oracles.run("editcap", "-F", "pcapng", dir.resolve("nano.pcap").toString(), dir.resolve("nano.pcapng").toString());
        // Snap length 64: captured bytes shorter than the frame on the wire.
        Oracles.run("editcap", "-s", "64", dir.resolve("nano.pcap").toString(), dir.resolve("snap64.pcap").toString());
    }

    @ParameterizedTest
    @CsvSource({"micro.pcap, MICRO", "nano.pcap, NANO", "big-endian-nano.pcap, NANO", "micro.pcapng, MICRO",
            "nano.pcapng, NANO", "snap64.pcap, NANO"})
    void readsEveryRecordAsTsharkAndScapySeeIt(String file, TimestampPrecision precision) throws IOException {
        Path capture = dir.resolve(file);
        List<String[]> tshark = Oracles.tsharkFields(capture, "frame.time_epoch", "frame.len", "frame.cap_len");
        List<String> scapy = Oracles.python(SCAPY_BYTES, capture.toString()).lines().toList();
        List<CapturedPacket> packets = readAll(capture, precision);
        assertEquals(40, tshark.size());
        assertEquals(tshark.size(), packets.size());
        for (int i = 0; i < packets.size(); i++) {
            CapturedPacket p = packets.get(i);
            assertEquals(tshark.get(i)[0], Oracles.epoch(p), "timestamp of frame " + (i + 1));
            assertEquals(Integer.parseInt(tshark.get(i)[1]), p.originalLength(), "frame.len of frame " + (i + 1));
            assertEquals(Integer.parseInt(tshark.get(i)[2]), p.bytes().length, "frame.cap_len of frame " + (i + 1));
            assertEquals(scapy.get(i), HexFormat.of().formatHex(p.bytes()), "bytes of frame " + (i + 1));
        }
    }

    @Test
    void microsecondCaptureHasWholeMicrosecondsAndNanosecondCaptureKeepsEveryDigit() throws IOException {
        List<CapturedPacket> micro = readAll(dir.resolve("micro.pcap"), TimestampPrecision.MICRO);
        List<CapturedPacket> nano = readAll(dir.resolve("nano.pcap"), TimestampPrecision.NANO);
        assertTrue(micro.stream().allMatch(p -> p.nanos() % 1000 == 0));
        assertEquals(1700000000L + 3 * 61, nano.get(3).epochSeconds());
        assertEquals((123456789 + 3 * 7919) % 1_000_000_000, nano.get(3).nanos());
        assertEquals(0, nano.get(1).nanos());
        assertEquals(999_999_000, nano.get(2).nanos());
    }

    @Test
    void tcpdumpVectorReadsLikeTshark() throws IOException {
        Path capture = Oracles.shared().resolve("vectors/captures/tcpdump/espudp1.pcap");
        List<String[]> tshark = Oracles.tsharkFields(capture, "frame.time_epoch", "frame.len");
        List<CapturedPacket> packets = readAll(capture, TimestampPrecision.MICRO);
        assertEquals(tshark.size(), packets.size());
        for (int i = 0; i < packets.size(); i++) {
            assertEquals(tshark.get(i)[0], Oracles.epoch(packets.get(i)));
            assertEquals(Integer.parseInt(tshark.get(i)[1]), packets.get(i).originalLength());
        }
    }

    @Test
    void finalRecordCutShortIsReportedAfterEveryCompleteRecord() throws IOException {
        for (String file : List.of("nano.pcap", "nano.pcapng")) {
            byte[] whole = Files.readAllBytes(dir.resolve(file));
            Path cut = dir.resolve("cut-" + file);
            Files.write(cut, Arrays.copyOf(whole, whole.length - 7));
            try (CaptureReader reader = CaptureReader.open(cut)) {
                for (int i = 0; i < 39; i++) {
                    assertTrue(reader.next() != null, "record " + (i + 1) + " of " + file);
                }
                CaptureException e = assertThrows(CaptureException.class, reader::next);
                assertEquals(cut + ": truncated at packet 40", e.getMessage());
                assertNull(reader.next(), "nothing after the error");
                assertEquals(39, reader.packetsRead());
            }
        }
    }

    @Test
    void recordHeaderCutShortIsTruncationToo() throws IOException {
        byte[] whole = Files.readAllBytes(dir.resolve("micro.pcap"));
        Path cut = dir.resolve("cut-in-record-header.pcap");
        // File header (24) + first record header (16) + first frame + 8 bytes of the second record header.
        int firstCaplen = readAll(dir.resolve("micro.pcap"), TimestampPrecision.MICRO).get(0).bytes().length;
        Files.write(cut, Arrays.copyOf(whole, 24 + 16 + firstCaplen + 8));
        try (CaptureReader reader = CaptureReader.open(cut)) {
            assertTrue(reader.next() != null);
            assertEquals(cut + ": truncated at packet 2", assertThrows(CaptureException.class, reader::next).getMessage());
        }
    }

    @Test
    void absurdCapturedLengthIsCorruptWithLibpcapsReason() throws IOException {
        byte[] bytes = Files.readAllBytes(dir.resolve("micro.pcap"));
        // The first record's captured length (little-endian, offset 24 + 8) set to 0x7fffffff.
        bytes[32] = (byte) 0xff;
        bytes[33] = (byte) 0xff;
        bytes[34] = (byte) 0xff;
        bytes[35] = (byte) 0x7f;
        Path corrupt = Files.write(dir.resolve("corrupt.pcap"), bytes);
        try (CaptureReader reader = CaptureReader.open(corrupt)) {
            String message = assertThrows(CaptureException.class, reader::next).getMessage();
            assertTrue(message.startsWith(corrupt + ": corrupt at packet 1 ("), message);
        }
    }

    @Test
    void textFileIsNotACapture() throws IOException {
        Path text = Files.writeString(dir.resolve("notes.pcap"), "these are not the packets you are looking for\n");
        assertOpenFails(text, text + ": not a pcap or pcapng capture");
    }

    @Test
    void emptyFileIsNotACapture() throws IOException {
        Path empty = Files.write(dir.resolve("empty.pcap"), new byte[0]);
        assertOpenFails(empty, empty + ": empty file, not a pcap or pcapng capture");
    }

    @Test
    void headerCutShortIsTruncatedCaptureHeader() throws IOException {
        for (String file : List.of("micro.pcap", "nano.pcapng")) {
            byte[] whole = Files.readAllBytes(dir.resolve(file));
            for (int length : new int[] {2, 10, 20}) {
                Path cut = Files.write(dir.resolve(length + "-" + file), Arrays.copyOf(whole, length));
                assertOpenFails(cut, cut + ": truncated capture header");
            }
        }
    }

    @Test
    void pcapngWithoutInterfaceIsTruncatedCaptureHeader() throws IOException {
        byte[] whole = Files.readAllBytes(dir.resolve("micro.pcapng"));
        int shbLength = (whole[4] & 0xff) | (whole[5] & 0xff) << 8 | (whole[6] & 0xff) << 16;
        Path onlyShb = Files.write(dir.resolve("only-shb.pcapng"), Arrays.copyOf(whole, shbLength));
        assertOpenFails(onlyShb, onlyShb + ": truncated capture header");
    }

    @Test
    void missingFileSaysSo() {
        Path missing = dir.resolve("no-such.pcap");
        assertOpenFails(missing, missing + ": no such file");
    }

    @Test
    void rawIpLinkTypeIsRefused() {
        Path raw = dir.resolve("raw.pcap");
        assertOpenFails(raw, raw + ": link type 101 (RAW) is not Ethernet");
    }

    @Test
    void headerOnlyCaptureHasNoPackets() throws IOException {
        byte[] whole = Files.readAllBytes(dir.resolve("nano.pcap"));
        Path headerOnly = Files.write(dir.resolve("header-only.pcap"), Arrays.copyOf(whole, 24));
        try (CaptureReader reader = CaptureReader.open(headerOnly)) {
            assertEquals(TimestampPrecision.NANO, reader.precision());
            assertFalse(reader.isPcapng());
            assertNull(reader.next());
            assertNull(reader.next());
        }
    }

    @Test
    void readingAfterCloseIsMisuse() throws IOException {
        CaptureReader reader = CaptureReader.open(dir.resolve("micro.pcap"));
        reader.close();
        reader.close();
        assertThrows(IllegalStateException.class, reader::next);
    }

    @Test
    void manyOpensAndClosesLeaveNoDescriptorBehind() throws IOException {
        Path capture = dir.resolve("nano.pcapng");
        long before = openDescriptors();
        for (int i = 0; i < 3000; i++) {
            try (CaptureReader reader = CaptureReader.open(capture)) {
                reader.next();
            }
        }
        assertTrue(openDescriptors() - before < 20, "descriptors before " + before + ", after " + openDescriptors());
    }

    static long openDescriptors() throws IOException {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    static List<CapturedPacket> readAll(Path capture, TimestampPrecision expected) throws IOException {
        List<CapturedPacket> packets = new ArrayList<>();
        try (CaptureReader reader = CaptureReader.open(capture)) {
            assertEquals(expected, reader.precision(), "precision of " + capture.getFileName());
            for (CapturedPacket p; (p = reader.next()) != null; ) {
                packets.add(p);
            }
            assertEquals(packets.size(), reader.packetsRead());
        }
        return packets;
    }

    static void assertOpenFails(Path file, String message) {
        CaptureException e = assertThrows(CaptureException.class, () -> CaptureReader.open(file).close());
        assertEquals(message, e.getMessage());
    }
}
