package dev.overlay.pcap.capture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Written files judged by tshark, capinfos and scapy, then by our own reader. */
class CaptureWriterTest {
    @TempDir static Path inputs;
    @TempDir Path dir;

    @BeforeAll
    static void generate() {
        Oracles.python(CaptureReaderTest.GENERATE, inputs.toString());
        Oracles.run("editcap", "-F", "pcapng", inputs.resolve("nano.pcap").toString(), inputs.resolve("nano.pcapng").toString());
    }

    @Test
    void nanosecondOutputIsANanosecondPcapWithExactTimestamps() throws IOException {
        Path out = dir.resolve("out.pcap");
        try (CaptureWriter writer = CaptureWriter.create(out, TimestampPrecision.NANO)) {
            for (int i = 0; i < 20; i++) {
                writer.write(frame(60 + i * 70, i), 1_700_000_000L + i, nanos(i));
            }
            assertEquals(20, writer.packetsWritten());
        }
        assertEquals("nsecpcap", Oracles.capinfos(out, "-t", "File type"));
        assertEquals("ether", Oracles.capinfos(out, "-E", "File encapsulation"));
        List<String[]> tshark = Oracles.tsharkFields(out, "frame.time_epoch", "frame.len", "eth.src");
        assertEquals(20, tshark.size());
        for (int i = 0; i < 20; i++) {
            assertEquals((1_700_000_000L + i) + "." + String.format("%09d", nanos(i)), tshark.get(i)[0]);
            assertEquals(String.valueOf(60 + i * 70), tshark.get(i)[1]);
            assertEquals("02:00:00:00:01:01", tshark.get(i)[2]);
        }
        List<CapturedPacket> back = CaptureReaderTest.readAll(out, TimestampPrecision.NANO);
        for (int i = 0; i < 20; i++) {
            assertArrayEquals(frame(60 + i * 70, i), back.get(i).bytes());
            assertEquals(nanos(i), back.get(i).nanos());
        }
    }

    @Test
    void microsecondOutputIsAMicrosecondPcapAndDropsTheNanoseconds() throws IOException {
        Path out = dir.resolve("out.pcap");
        try (CaptureWriter writer = CaptureWriter.create(out, TimestampPrecision.MICRO)) {
            writer.write(frame(64, 1), 1_700_000_000L, 123_456_789);
        }
        assertEquals("pcap", Oracles.capinfos(out, "-t", "File type"));
        assertEquals("1700000000.123456000", Oracles.tsharkFields(out, "frame.time_epoch").get(0)[0]);
    }

    @ParameterizedTest
    @ValueSource(strings = {"micro.pcap", "nano.pcap", "big-endian-nano.pcap", "micro.pcapng", "nano.pcapng"})
    void copyInTheInputsPrecisionKeepsEveryTimestampAndByte(String file) throws IOException {
        Path in = inputs.resolve(file);
        Path out = dir.resolve("copy.pcap");
        try (CaptureReader reader = CaptureReader.open(in);
                CaptureWriter writer = CaptureWriter.create(out, reader.precision())) {
            for (CapturedPacket p; (p = reader.next()) != null; ) {
                writer.write(p);
            }
        }
        String fields = "frame.time_epoch frame.len eth.dst ip.id ip.len";
        assertEquals(lines(Oracles.tsharkFields(in, fields.split(" "))), lines(Oracles.tsharkFields(out, fields.split(" "))));
        assertEquals(Oracles.python(CaptureReaderTest.SCAPY_BYTES, in.toString()),
                Oracles.python(CaptureReaderTest.SCAPY_BYTES, out.toString()));
    }

    @Test
    void byteBufAndArraySliceWriteTheSameRecords() throws IOException {
        byte[] frame = frame(100, 9);
        byte[] padded = new byte[frame.length + 20];
        System.arraycopy(frame, 0, padded, 7, frame.length);
        ByteBuf buf = Unpooled.buffer(256);
        buf.writerIndex(30).readerIndex(30).writeBytes(frame);
        Path out = dir.resolve("out.pcap");
        try (CaptureWriter writer = CaptureWriter.create(out, TimestampPrecision.NANO)) {
            writer.write(padded, 7, frame.length, 5, 6);
            writer.write(buf, 5, 7);
        } finally {
            assertEquals(30, buf.readerIndex(), "indices untouched");
            assertTrue(buf.release());
        }
        List<CapturedPacket> back = CaptureReaderTest.readAll(out, TimestampPrecision.NANO);
        assertEquals(HexFormat.of().formatHex(frame), HexFormat.of().formatHex(back.get(0).bytes()));
        assertArrayEquals(frame, back.get(1).bytes());
        assertEquals(7, back.get(1).nanos());
    }

    @Test
    void twoHundredThousandSmallFramesStreamThroughAndCapinfosCountsThem() throws IOException {
        Path out = dir.resolve("large.pcap");
        byte[] frame = frame(60, 3);
        try (CaptureWriter writer = CaptureWriter.create(out, TimestampPrecision.NANO)) {
            for (int i = 0; i < 200_000; i++) {
                writer.write(frame, 1_700_000_000L + i / 1000, i);
            }
        }
        assertEquals("200000", Oracles.capinfos(out, "-c", "Number of packets"));
        long count = 0;
        long lastNanos = -1;
        try (CaptureReader reader = CaptureReader.open(out)) {
            for (CapturedPacket p; (p = reader.next()) != null; ) {
                assertTrue(p.epochNanos() > lastNanos);
                lastNanos = p.epochNanos();
                count++;
            }
        }
        assertEquals(200_000, count);
    }

    @Test
    void missingDirectoryFailsInOneSentence() {
        Path out = dir.resolve("missing/out.pcap");
        CaptureException e = assertThrows(CaptureException.class, () -> CaptureWriter.create(out, TimestampPrecision.NANO));
        assertEquals(out + ": cannot create (No such file or directory)", e.getMessage());
    }

    @Test
    void outOfRangeArgumentsAreMisuse() throws IOException {
        try (CaptureWriter writer = CaptureWriter.create(dir.resolve("out.pcap"), TimestampPrecision.NANO)) {
            byte[] frame = frame(60, 0);
            assertThrows(IllegalArgumentException.class, () -> writer.write(frame, 0, 60, 0, 1_000_000_000));
            assertThrows(IllegalArgumentException.class, () -> writer.write(frame, 0, 60, -1, 0));
            assertThrows(IllegalArgumentException.class, () -> writer.write(frame, 0, 60, 1L << 32, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> writer.write(frame, 10, 60, 0, 0));
            assertThrows(IllegalArgumentException.class, () -> writer.write(new byte[CaptureWriter.SNAPLEN + 1], 0, 0));
            assertEquals(0, writer.packetsWritten());
        }
    }

    @Test
    void writingAfterCloseIsMisuse() throws IOException {
        CaptureWriter writer = CaptureWriter.create(dir.resolve("out.pcap"), TimestampPrecision.MICRO);
        writer.close();
        writer.close();
        assertThrows(IllegalStateException.class, () -> writer.write(frame(60, 0), 0, 0));
    }

    @Test
    void manyWritersLeaveNoDescriptorBehind() throws IOException {
        long before = CaptureReaderTest.openDescriptors();
        for (int i = 0; i < 2000; i++) {
            try (CaptureWriter writer = CaptureWriter.create(dir.resolve("out.pcap"), TimestampPrecision.NANO)) {
                writer.write(frame(60, i), i, i);
            }
        }
        long after = CaptureReaderTest.openDescriptors();
        assertTrue(after - before < 20, "descriptors before " + before + ", after " + after);
        assertEquals(1, CaptureReaderTest.readAll(dir.resolve("out.pcap"), TimestampPrecision.NANO).size());
    }

    private static int nanos(int i) {
        return i == 0 ? 0 : i == 1 ? 999_999_999 : (int) ((i * 123_456_791L) % 1_000_000_000L);
    }

    private static String lines(List<String[]> rows) {
        return String.join("\n", rows.stream().map(r -> String.join("\t", r)).toList());
    }

    /** An Ethernet frame of {@code length} bytes from 02:00:00:00:01:01, filled with {@code fill}. */
    static byte[] frame(int length, int fill) {
        byte[] frame = new byte[length];
        java.util.Arrays.fill(frame, (byte) fill);
        byte[] header = HexFormat.of().parseHex("020000000102" + "020000000101" + "88b5");
        System.arraycopy(header, 0, frame, 0, header.length);
        return frame;
    }
}
