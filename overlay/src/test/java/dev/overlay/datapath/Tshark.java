package dev.overlay.datapath;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** tshark as the oracle of the datapath and port tests: frames written to a pcap file, read back field by field. */
public final class Tshark {
    private Tshark() {
    }

    /**
     * One row per frame that passes {@code filter} (a display filter, or null for all), with the
     * given fields (first occurrence; empty when absent), IPv4, TCP and UDP checksum validation on.
     */
    public static List<String[]> fields(Path dir, List<ByteBuf> frames, String filter, String... fields)
            throws IOException, InterruptedException {
        return fieldsWith(dir, frames, List.of(), filter, fields);
    }

    /** As {@link #fields(Path, List, String, String...)} with more tshark options ({@code -d} decode-as, {@code -E}). */
    public static List<String[]> fieldsWith(Path dir, List<ByteBuf> frames, List<String> options, String filter, String... fields)
            throws IOException, InterruptedException {
        Path pcap = Files.createTempFile(dir, "frames", ".pcap");
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(0xA1B2C3D4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(262_144).putInt(1);
        file.writeBytes(header.array());
        for (ByteBuf f : frames) {
            byte[] bytes = new byte[f.readableBytes()];
            f.getBytes(f.readerIndex(), bytes);
            ByteBuffer record = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            record.putInt(0).putInt(0).putInt(bytes.length).putInt(bytes.length);
            file.writeBytes(record.array());
            file.writeBytes(bytes);
        }
        Files.write(pcap, file.toByteArray());
        List<String> command = new ArrayList<>(List.of("tshark", "-n", "-r", pcap.toString(),
                "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
                "-o", "tcp.desegment_tcp_streams:FALSE", "-o", "tcp.analyze_sequence_numbers:FALSE",
                "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f"));
        command.addAll(options);
        if (filter != null) {
            command.addAll(List.of("-Y", filter));
        }
        for (String field : fields) {
            command.add("-e");
            command.add(field);
        }
        Path err = Files.createTempFile(dir, "tshark", ".err");
        Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), () -> "tshark failed on " + pcap + ": " + readOrNothing(err));
        List<String[]> rows = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (!line.isEmpty()) {
                rows.add(line.split("\t", -1));
            }
        }
        return rows;
    }

    private static String readOrNothing(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }
}
