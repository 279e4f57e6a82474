package dev.overlay.gateway;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Datagrams the kernel dropped before the gateway could read them, because a socket's receive
 * buffer was full: the {@code drops} column of {@code /proc/net/udp} and {@code /proc/net/udp6}
 * for the sockets bound to the gateway's address and its underlay ports. With one ESP socket per
 * worker, a flood against one SA overflows its owner's socket here, before anything is accepted:
 * this is where it shows ({@code overlay_underlay_kernel_drops_total}).
 */
final class UdpSocketDrops {
    private UdpSocketDrops() {
    }

    /** One UDP socket as /proc lists it: local address (hex, as {@link #hex} writes it), port, drops. */
    record Socket(String address, int port, long drops) {
    }

    /** The UDP sockets of {@code /proc/net/udp} (or {@code udp6}); null where it cannot be read. */
    static List<Socket> sockets(boolean v6) {
        List<Socket> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of(v6 ? "/proc/net/udp6" : "/proc/net/udp"))) {
                // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ref pointer drops
                String[] f = line.trim().split("\\s+");
                if (f.length < 13 || !f[1].contains(":")) {
                    continue;
                }
                int colon = f[1].indexOf(':');
                out.add(new Socket(f[1].substring(0, colon), Integer.parseInt(f[1].substring(colon + 1), 16),
                        Long.parseLong(f[12])));
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return out;
    }

    /** The sum over the sockets bound to {@code address} (or to any address) on any of {@code ports}; -1 where /proc cannot be read. */
    static long sum(InetAddress address, List<Integer> ports) {
        List<Socket> all = sockets(address instanceof Inet6Address);
        if (all == null) {
            return -1;
        }
        String local = hex(address.getAddress());
        long total = 0;
        for (Socket s : all) {
            if (ports.contains(s.port()) && (s.address().equals(local) || s.address().chars().allMatch(c -> c == '0'))) {
                total += s.drops();
            }
        }
        return total;
    }

    /** An address as /proc prints it: each 32-bit word in host (little-endian) byte order, in hex. */
    static String hex(byte[] a) {
        StringBuilder s = new StringBuilder();
        for (int w = 0; w < a.length; w += 4) {
            for (int i = 3; i >= 0; i--) {
                s.append(String.format("%02X", a[w + i] & 0xFF));
            }
        }
        return s.toString();
    }
}
