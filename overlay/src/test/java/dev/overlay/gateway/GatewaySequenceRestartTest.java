package dev.overlay.gateway;

import static dev.overlay.gateway.TwoGateways.frame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.cli.Configs;
import dev.overlay.config.ConfigLoader;
import dev.overlay.config.PortConfig;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gateway restarted with the same keys never sends a sequence number (the GCM nonce) twice:
 * sequence numbers read off the wire at the far end, before and after the restart.
 */
class GatewaySequenceRestartTest {
    @TempDir
    Path dir;

    private final int esp = TwoGateways.freeUdpPort();
    private final int listen = TwoGateways.freeUdpPort();
    private final int remote = TwoGateways.freeUdpPort();
    private DatagramSocket farEnd;
    private MemoryPort port;

    @BeforeEach
    void farEnd() throws Exception {
        Files.createDirectory(dir.resolve("state"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        farEnd = new DatagramSocket(new InetSocketAddress(TwoGateways.B, esp));
        farEnd.setSoTimeout(2000);
        farEnd.setReceiveBufferSize(1 << 20);
    }

    @AfterEach
    void close() {
        farEnd.close();
    }

    private Path config(String key, boolean stateDir) throws Exception {
        String yaml = "gateway:\n  name: gw-a\n  address: 127.0.0.1\n  esp-port: " + esp
                + "\n  workers: 2\n" + (stateDir ? "  state-dir: state\n" : "")
                + "peers:\n  gw-b: { address: 127.0.0.2 }\n"
                + "tenants:\n  blue: { vni: 1001, peers: [gw-b], ports: [ { type: udp, listen: 127.0.0.1:" + listen
                + ", remote: 127.0.0.1:" + remote + " } ] }\n"
                + "security-associations:\n" + TwoGateways.sa(0x1001, "out", "gw-b", "blue", key)
                + TwoGateways.sa(0x2001, "in", "gw-b", "blue", TwoGateways.K_BLUE_BA);
        return Files.writeString(dir.resolve("gw-a.yaml"), yaml);
    }

    private Gateway start(Path config) throws Exception {
        Gateway.PortOpener opener = (tenant, c, alloc, group) -> {
            port = new MemoryPort("memory:" + tenant + ":" + ((PortConfig.UdpPort) c).listen().getPort(), alloc);
            return port;
        };
        return Gateway.start(Configs.loadOrFail(config), new Gateway.Options(opener, Duration.ofSeconds(10),
                Duration.ofMillis(200)));
    }

    /** Sends {@code n} frames through gw-a and returns the ESP sequence numbers the far end received. */
    private List<Long> send(int n) throws Exception {
        for (int i = 0; i < n; i++) {
            port.inject(frame(GatewayTest.MAC_2, GatewayTest.MAC_1, "frame " + i));
        }
        List<Long> seqs = new ArrayList<>();
        byte[] buf = new byte[2048];
        while (seqs.size() < n) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                farEnd.receive(p);
            } catch (SocketTimeoutException e) {
                break;
            }
            // RFC 3948: ESP in UDP, the SPI (non-zero) then the 32-bit sequence number (RFC 4303 2.2).
            ByteBuffer b = ByteBuffer.wrap(buf, 0, p.getLength());
            assertEquals(0x1001, b.getInt());
            seqs.add(Integer.toUnsignedLong(b.getInt()));
        }
        assertEquals(n, seqs.size(), "packets at the far end");
        return seqs;
    }

    @Test
    void aGracefulRestartContinuesAfterTheLastSequenceNumberSent() throws Exception {
        Path config = config(TwoGateways.K_BLUE_AB, true);
        List<Long> before;
        try (Gateway _ = start(config)) {
            before = send(50);
        }
        assertEquals(50L, Collections.max(before));
        try (Gateway _ = start(config)) {
            List<Long> after = send(5);
            assertEquals(51L, Collections.min(after), "a clean stop wrote the exact number: nothing skipped, nothing reused");
        }
        assertFalse(Files.readString(dir.resolve("state/gw-a.seq")).contains(TwoGateways.K_BLUE_AB.substring(2, 10)));
    }

    @Test
    void aCrashedRunIsSkippedUpToItsReservation() throws Exception {
        Path config = config(TwoGateways.K_BLUE_AB, true);
        Path file = dir.resolve("state/gw-a.seq");
        Path atCrash = dir.resolve("at-crash.seq");
        List<Long> before;
        try (Gateway _ = start(config)) {
            before = send(50);
            // What the disk holds while running is all a crash would leave behind.
            Files.copy(file, atCrash);
        }
        Files.move(atCrash, file, StandardCopyOption.REPLACE_EXISTING); // undo the graceful stop's exact write
        try (Gateway _ = start(config)) {
            List<Long> after = send(5);
            long first = Collections.min(after);
            assertTrue(first > Collections.max(before), "first after the crash " + first + " reuses one of " + before);
            assertEquals(SequenceStore.DEFAULT_STEP + 1, first, "resumed after the reservation");
        }
    }

    @Test
    void aNewKeyUnderTheSameSpiStartsAtTheConfiguredSequence() throws Exception {
        try (Gateway _ = start(config(TwoGateways.K_BLUE_AB, true))) {
            send(20);
        }
        try (Gateway _ = start(config(TwoGateways.K_REKEY, true))) {
            assertEquals(List.of(1L, 2L, 3L), send(3));
        }
    }

    @Test
    void aReloadReservesNewSasAndDropsRemovedOnesWhileUnchangedOnesCarryOn() throws Exception {
        Path file = dir.resolve("state/gw-a.seq");
        try (Gateway gw = start(config(TwoGateways.K_BLUE_AB, true))) {
            assertEquals(List.of(1L, 2L), send(2));
            String before = Files.readString(file);
            Gateway.ReloadResult r = gw.reload(config(TwoGateways.K_REKEY, true)); // same SPI, new key
            assertTrue(r.applied(), r.errors().toString());
            String after = Files.readString(file);
            String oldLine = before.lines().filter(l -> l.startsWith("0x00001001")).findFirst().orElseThrow();
            assertFalse(after.contains(oldLine), "the replaced SA's line is gone:\n" + after);
            assertEquals(1, after.lines().filter(l -> l.startsWith("0x")).count(), "only out SAs are stored:\n" + after);
            assertEquals(List.of(1L, 2L), send(2), "the new key starts fresh");
        }
    }

    @Test
    void withoutAStateDirRunWarnsForEachCounterModeOutSa() throws Exception {
        try (GatewayLifecycleTest.Records logs = new GatewayLifecycleTest.Records("dev.overlay.gateway");
             Gateway gw = start(config(TwoGateways.K_BLUE_AB, false))) {
            assertNotNull(gw);
            String text = logs.text();
            assertTrue(text.contains("event=nonce-reuse-risk spi=0x00001001 algorithm=aes-gcm-256 advice=\""
                    + ConfigLoader.NONCE_REUSE_WARNING + "\""), text);
            assertFalse(text.contains("spi=0x00002001 algorithm"), "in SAs send nothing");
            // Today's behaviour otherwise: every run starts at initial-sequence.
            assertEquals(List.of(1L, 2L), send(2));
        }
    }
}
