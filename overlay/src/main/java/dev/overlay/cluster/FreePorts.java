package dev.overlay.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/**
 * Port numbers free on this host now, for what {@link LocalEtcd}, {@code demo --cluster} and the
 * tests start on loopback. Each call holds every port it has chosen until it returns: a port
 * closed and chosen again (the kernel may hand a freed port out next) would be given twice. The
 * ports come from the kernel's ephemeral range, so fixed services never collide.
 */
public final class FreePorts {
    private FreePorts() {
    }

    /**
     * {@code count} distinct UDP ports, each free on every one of {@code addresses} now.
     *
     * @throws UncheckedIOException when 100 tries found no port free on all of them
     */
    public static int[] udp(List<String> addresses, int count) {
        List<DatagramSocket> held = new ArrayList<>();
        try {
            int[] ports = new int[count];
            for (int c = 0; c < count; c++) {
                ports[c] = -1;
                for (int i = 0; i < 100 && ports[c] < 0; i++) {
                    List<DatagramSocket> mine = new ArrayList<>();
                    try {
                        DatagramSocket first = new DatagramSocket(new InetSocketAddress(addresses.getFirst(), 0));
                        mine.add(first);
                        for (String a : addresses.subList(1, addresses.size())) {
                            mine.add(new DatagramSocket(new InetSocketAddress(a, first.getLocalPort())));
                        }
                        ports[c] = first.getLocalPort();
                        held.addAll(mine);
                    } catch (IOException busy) {
                        mine.forEach(DatagramSocket::close);
                    }
                }
                if (ports[c] < 0) {
                    throw new UncheckedIOException(new IOException("no UDP port free on " + addresses));
                }
            }
            return ports;
        } finally {
            held.forEach(DatagramSocket::close);
        }
    }

    /** {@code count} distinct TCP ports free on 127.0.0.1 now. */
    public static int[] tcp(int count) {
        List<ServerSocket> held = new ArrayList<>();
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ServerSocket s = new ServerSocket();
                held.add(s);
                s.bind(new InetSocketAddress("127.0.0.1", 0));
                ports[i] = s.getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            for (ServerSocket s : held) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing a listening socket that never accepted
                }
            }
        }
    }
}
