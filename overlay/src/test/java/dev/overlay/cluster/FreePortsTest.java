package dev.overlay.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class FreePortsTest {
    @Test
    void udpPortsAreDistinctAndFreeOnEveryAddress() throws Exception {
        List<String> addresses = List.of("127.0.0.1", "127.0.0.2", "127.0.0.3");
        int[] ports = FreePorts.udp(addresses, 20);
        assertEquals(20, Arrays.stream(ports).distinct().count(), Arrays.toString(ports));
        for (int port : ports) {
            for (String a : addresses) {
                new DatagramSocket(new InetSocketAddress(a, port)).close();
            }
        }
    }

    @Test
    void tcpPortsAreDistinctAndFreeOnLoopback() throws Exception {
        int[] ports = FreePorts.tcp(20);
        assertEquals(20, Arrays.stream(ports).distinct().count(), Arrays.toString(ports));
        for (int port : ports) {
            new ServerSocket(port, 1, java.net.InetAddress.getByName("127.0.0.1")).close();
        }
    }
}
