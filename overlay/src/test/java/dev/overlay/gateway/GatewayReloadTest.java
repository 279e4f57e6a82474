package dev.overlay.gateway;

import static dev.overlay.gateway.TwoGateways.frame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIGHUP's work: rekeying and config changes while traffic flows, and refused configs. */
class GatewayReloadTest {
    static final long MAC_1 = GatewayTest.MAC_1;
    static final long MAC_2 = GatewayTest.MAC_2;

    @TempDir
    Path dir;

    @Test
    void rekeyByReloadUnderTrafficLosesNoFrame() throws Exception {
        try (TwoGateways gws = new TwoGateways(dir, "udp").start()) {
            TwoGateways.End blueA = gws.end("blue", 0);
            TwoGateways.End blueB = gws.end("blue", 1);
            java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
            java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
            AtomicReference<Throwable> failed = new AtomicReference<>();
            Thread sender = Thread.ofPlatform().name("test-sender").start(() -> {
                try {
                    for (int i = 0; running.get(); i++) {
                        blueA.inject(frame(MAC_2, MAC_1, "f" + i));
                        sent.incrementAndGet();
                        if (i % 4 == 3) {
                            Thread.sleep(1); // steady traffic around the three reloads
                        }
                    }
                } catch (Throwable t) {
                    failed.set(t);
                }
            });
            Thread.sleep(200);
            // 1. gw-b installs the new inbound SA beside the old one.
            gws.sasB.add(TwoGateways.sa(0x3001, "in", "gw-a", "blue", TwoGateways.K_REKEY));
            Gateway.ReloadResult r1 = gws.gwB.reload(gws.writeB());
            assertTrue(r1.applied(), () -> r1.errors().toString());
            assertEquals(1, r1.changes().size(), r1.changes()::toString);
            Thread.sleep(300);
            // 2. gw-a switches its outbound SA for blue.
            gws.sasA.set(0, TwoGateways.sa(0x3001, "out", "gw-b", "blue", TwoGateways.K_REKEY));
            assertTrue(gws.gwA.reload(gws.writeA()).applied());
            Thread.sleep(800); // past retireAfter and every packet sealed with the old SA
            // 3. gw-b retires the old inbound SA.
            gws.sasB.remove(1);
            Gateway.ReloadResult r3 = gws.gwB.reload(gws.writeB());
            assertTrue(r3.applied());
            assertTrue(r3.changes().get(0).contains("sa-removed") && r3.changes().get(0).contains("0x00001001"),
                    r3.changes()::toString);
            Thread.sleep(200);
            running.set(false);
            sender.join();
            assertNull(failed.get());
            int n = sent.get();
            BitSet seen = new BitSet(n);
            for (int i = 0; i < n; i++) {
                byte[] f = blueB.take();
                if (f == null) {
                    break;
                }
                String payload = new String(f, 42, f.length - 42, java.nio.charset.StandardCharsets.US_ASCII);
                int seq = Integer.parseInt(payload.substring(1));
                assertFalse(seen.get(seq), "frame " + seq + " twice");
                seen.set(seq);
            }
            assertEquals(n, seen.cardinality(), () -> "lost " + (n - seen.cardinality()) + "; drops a="
                    + gws.gwA.stats().drops() + " b=" + gws.gwB.stats().drops());
            GatewayStats a = gws.gwA.stats();
            GatewayStats b = gws.gwB.stats();
            assertEquals(0, a.totalDrops(), () -> a.drops().toString());
            assertEquals(0, b.totalDrops(), () -> b.drops().toString());
            long viaNew = b.sa("0x00003001", "in").packets();
            assertTrue(viaNew > 0 && viaNew < n, "both SAs carried traffic: " + viaNew + " via the new one");
            assertEquals(viaNew, a.sa("0x00003001", "out").packets());
            assertNull(a.sa("0x00001001", "out"));
            assertNull(b.sa("0x00001001", "in"));
            // Unchanged SAs kept their state: red's counters carried on through three reloads.
            assertEquals(0, a.sa("0x00001002", "out").packets());
        }
    }

    @Test
    void invalidConfigIsRefusedWithItsErrorsAndTheOldOneKeepsRunning() throws Exception {
        try (TwoGateways gws = new TwoGateways(dir, "udp").start()) {
            Path bad = gws.write("gw-a.yaml", Files.readString(gws.writeA()).replace("vni: 1002", "vni: 1001"));
            Gateway.ReloadResult r = gws.gwA.reload(bad);
            assertFalse(r.applied());
            assertTrue(r.errors().stream().anyMatch(e -> e.contains("gw-a.yaml:") && e.contains("vni")),
                    r.errors()::toString);
            Path syntax = gws.write("broken.yaml", "gateway: [\n");
            assertFalse(gws.gwA.reload(syntax).applied());
            // A changed gateway section needs a restart: refused, not half-applied.
            Path moved = gws.write("moved.yaml", Files.readString(gws.writeA()).replace("workers: 2", "workers: 1"));
            Gateway.ReloadResult m = gws.gwA.reload(moved);
            assertFalse(m.applied());
            assertTrue(m.errors().get(0).contains("gateway"), m.errors()::toString);

            TwoGateways.End redA = gws.end("red", 0);
            TwoGateways.End redB = gws.end("red", 1);
            redA.inject(frame(MAC_2, MAC_1, "still running"));
            assertArrayEquals(frame(MAC_2, MAC_1, "still running"), redB.take());
        }
    }

    @Test
    void tenantAddedAndRemovedByReloadWithoutTouchingTheOthers() throws Exception {
        try (TwoGateways gws = new TwoGateways(dir, "udp").start()) {
            TwoGateways.End blueA = gws.end("blue", 0);
            TwoGateways.End blueB = gws.end("blue", 1);
            // gw-a learns MAC_2 behind gw-b.
            blueB.inject(frame(MAC_1, MAC_2, "learn me"));
            assertArrayEquals(frame(MAC_1, MAC_2, "learn me"), blueA.take());
            assertEquals(1, gws.gwA.stats().tenant("blue").fdbEntries());
            // Remove red (its SAs with it) from gw-a.
            String yaml = Files.readString(gws.writeA());
            String withoutRed = java.util.Arrays.stream(yaml.split("\n"))
                    .filter(l -> !l.contains("red")).reduce("", (x, y) -> x + y + "\n");
            Gateway.ReloadResult r = gws.gwA.reload(gws.write("gw-a-nored.yaml", withoutRed));
            assertTrue(r.applied(), r.errors()::toString);
            assertTrue(r.changes().stream().anyMatch(c -> c.contains("tenant-removed")), r.changes()::toString);
            MemoryPort red = gws.memoryPorts.get(TwoGateways.A + "/red");
            assertTrue(red.isClosed(), "the removed tenant's port is closed");
            // blue untouched: its FDB survived, its SA's sequence numbers carry on.
            assertEquals(1, gws.gwA.stats().tenant("blue").fdbEntries());
            blueA.inject(frame(MAC_2, MAC_1, "after"));
            assertArrayEquals(frame(MAC_2, MAC_1, "after"), blueB.take());
            assertEquals(1, gws.gwB.stats().sa("0x00001001", "in").packets());
            assertEquals(0, gws.gwB.stats().totalDrops());
            // And back: red returns with a new port.
            assertTrue(gws.gwA.reload(gws.writeA()).applied());
            TwoGateways.End redA = gws.end("red", 0);
            TwoGateways.End redB = gws.end("red", 1);
            redA.inject(frame(MAC_2, MAC_1, "red again"));
            assertArrayEquals(frame(MAC_2, MAC_1, "red again"), redB.take());
        }
    }
    /**
     * A reload holds the gateway while it opens a new tenant's udp port, which waits for the
     * event loop to register the socket; the event loop also runs the task that wipes SAs
     * replaced by an earlier reload, retireAfter later. That task used to take the gateway's
     * monitor too: once it fired during such a reload, each waited for the other forever and the
     * gateway stopped forwarding (found by a reload loop under traffic). Here each removal retires
     * amber's SAs 1 ms later, while the next reload is already opening amber's port again.
     */
    @Test
    void reloadOpeningAPortWhileReplacedSasRetireDoesNotDeadlock() throws Exception {
        GatewayLab lab = new GatewayLab(dir).tenant("red", 1002, "geneve", true)
                .gcmPair("red", 0x1002, TwoGateways.K_RED_AB, 0x2002, TwoGateways.K_RED_BA);
        lab.retireAfter = java.time.Duration.ofMillis(1);
        lab.start();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        java.util.concurrent.atomic.AtomicInteger reloads = new java.util.concurrent.atomic.AtomicInteger();
        Thread reloader = Thread.ofPlatform().daemon().name("test-reloader").start(() -> {
            try {
                for (int i = 1; i <= 100; i++) {
                    if (i % 2 == 1) {
                        lab.tenant("amber", 1004, "vxlan", true).gcmPair("amber", 0x4000 + i, TwoGateways.K_BLUE_AB,
                                0x4800 + i, TwoGateways.K_BLUE_BA);
                    } else {
                        lab.tenants.remove("amber");
                        lab.sasA.removeIf(l -> l.contains("[amber]"));
                    }
                    lab.reload(0);
                    reloads.incrementAndGet();
                }
            } catch (Throwable t) {
                failed.set(t);
            }
        });
        reloader.join(60_000);
        if (reloader.isAlive()) {
            // Deadlocked: closing the lab would wait on the same monitor, so leave it and fail.
            throw new AssertionError("reload " + (reloads.get() + 1) + " of 100 never returned: deadlocked");
        }
        try (lab) {
            if (failed.get() != null) {
                throw new AssertionError(failed.get());
            }
            assertEquals(100, reloads.get());
        }
    }
}
