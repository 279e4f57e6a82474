package dev.overlay.gateway.port;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One network device's kernel counters from {@code /proc/net/dev}, read through a descriptor
 * opened once by the thread that made the device: the file is bound to the network namespace of
 * the thread that opened it, so later readings from any thread (a metrics scrape) still see that
 * namespace's device, and each reading is a pread(2) at offset 0, which starts the seq_file over.
 *
 * <p>Used for what the kernel drops before a port reads it and counts nowhere else: a TAP
 * device whose queue is full drops the frames the kernel transmits through it and counts them
 * in the device's {@code tx_dropped} (tun_net_xmit).
 */
final class NetDevCounters implements AutoCloseable {
    /** /proc/net/dev: after the name and colon, 8 receive then 8 transmit columns; tx drop is the 12th. */
    private static final int TX_DROP_COLUMN = 11;

    private final String device;
    private final FileChannel file;
    private ByteBuffer buffer = ByteBuffer.allocate(16 * 1024);

    private NetDevCounters(String device, FileChannel file) {
        this.device = device;
        this.file = file;
    }

    /** Opens /proc/thread-self/net/dev: the calling thread's namespace, where it made {@code device}. */
    static NetDevCounters open(String device) throws IOException {
        return new NetDevCounters(device, FileChannel.open(Path.of("/proc/thread-self/net/dev"), StandardOpenOption.READ));
    }

    /** The device's transmit drops now, or -1 if the device is not listed (removed). */
    synchronized long txDropped() throws IOException {
        return txDropped(read(), device);
    }

    private String read() throws IOException {
        buffer.clear();
        long position = 0;
        while (true) {
            if (!buffer.hasRemaining()) {
                ByteBuffer bigger = ByteBuffer.allocate(buffer.capacity() * 2);
                buffer.flip();
                bigger.put(buffer);
                buffer = bigger;
            }
            int n = file.read(buffer, position);
            if (n < 0) {
                break;
            }
            position += n;
        }
        buffer.flip();
        return StandardCharsets.US_ASCII.decode(buffer).toString();
    }

    /** The tx drop column of {@code device}'s line in a /proc/net/dev text, or -1 if it has none. */
    static long txDropped(String procNetDev, String device) {
        for (String line : procNetDev.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0 || !line.substring(0, colon).strip().equals(device)) {
                continue;
            }
            String[] columns = line.substring(colon + 1).strip().split("\\s+");
            if (columns.length <= TX_DROP_COLUMN) {
                return -1;
            }
            try {
                return Long.parseLong(columns[TX_DROP_COLUMN]);
            } catch (NumberFormatException e) {
                return -1;
            }
        }
        return -1;
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
