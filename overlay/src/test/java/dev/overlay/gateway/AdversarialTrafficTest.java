package dev.overlay.gateway;

import static dev.overlay.gateway.GatewayLab.delta;
import static dev.overlay.gateway.GatewayLab.drops;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attack traffic against two running gateways while legitimate traffic flows, on the loopback
 * with real sockets: each attack class is sent 5,000 times and must be counted under exactly its
 * drop reason, exactly 5,000 times, with nothing reaching any tenant port; meanwhile three
 * legitimate streams (blue ESP/VXLAN a->b, red ESP/Geneve b->a, green cleartext Geneve a->b) lose
 * nothing and stay in order.
 *
 * <p>"Full rate", honestly: the legitimate streams run at a fixed rate ({@link #RATE} frames per
 * second each) and the attacks at up to 5,000 packets per second, paced in bursts; with both on
 * this 2-core VM (shared with other builds and benchmarks), zero loss at that fixed rate is the
 * assertion, and the delivered rates with and without attack are printed. The rates are modest on
 * purpose: a worker's queue holds 1,024 packets, which at 6,500 packets per second is 150 ms of a
 * worker not being scheduled; faster, a loaded host turns scheduling hiccups into congestion
 * drops that would blur the exact per-reason accounting this test is about. The gateway's ceiling under attack is the flood test's subject
 * ({@link FloodTest}), not this one's: an attacker sending faster than the gateway reads fills
 * the kernel's socket buffer, which no user-space code can make selective.
 */
class AdversarialTrafficTest {
    static final int RATE = 500;
    static final int COUNT = 5000;
    /** An SA gw-b accepts from gw-a for blue only, whose key the attacker holds (a compromised peer). */
    static final int STOLEN_SPI = 0x1009;
    static final String K_STOLEN = "0x9e9e9e9e0102030405060708090a0b0c0d0e0f10111213141516171819202122aabbccdd";

    @TempDir
    Path dir;

    @Test
    void everyAttackIsCountedUnderItsReasonWhileLegitimateTrafficLosesNothing() throws Exception {
        GatewayLab lab = new GatewayLab(dir).tenant("blue", 1001, "vxlan", true).tenant("red", 1002, "geneve", true)
                .tenant("green", 1003, "geneve", false)
                .gcmPair("blue", 0x1001, TwoGateways.K_BLUE_AB, 0x2001, TwoGateways.K_BLUE_BA)
                .gcmPair("red", 0x1002, TwoGateways.K_RED_AB, 0x2002, TwoGateways.K_RED_BA);
        lab.sasB.add(GatewayLab.sa(STOLEN_SPI, "in", "gw-a", "blue", "aes-gcm-256", K_STOLEN));
        try (lab) {
            lab.start();
            for (String t : lab.tenants.keySet()) {
                lab.end(t, 0);
                lab.end(t, 1);
            }
            Random random = new Random(4303);
            String gwAYaml = lab.yaml(0);
            Path replayerConfig = lab.write("replayer.yaml", gwAYaml);
            Path futureConfig = lab.write("future.yaml", gwAYaml.replace("{ spi: 0x00001001, direction: out,",
                    "{ spi: 0x00001001, direction: out, initial-sequence: 0x70000000,"));
            Path stolenConfig = lab.write("stolen.yaml",
                    gwAYaml + GatewayLab.sa(STOLEN_SPI, "out", "gw-b", "blue", "aes-gcm-256", K_STOLEN));
            InetSocketAddress espB = new InetSocketAddress(GatewayLab.B, lab.esp);
            InetSocketAddress vxlanB = new InetSocketAddress(GatewayLab.B, lab.vxlan);
            InetSocketAddress geneveB = new InetSocketAddress(GatewayLab.B, lab.geneve);
            List<GatewayLab.Stream> streams = new ArrayList<>();
            try (Forger replayer = new Forger(replayerConfig, "gw-b");
                 Forger future = new Forger(futureConfig, "gw-b");
                 Forger stolen = new Forger(stolenConfig, "gw-b");
                 // Off-path: an address that is no peer. Spoofing: gw-a's own address, which on a
                 // shared segment an on-path attacker can put on any datagram.
                 DatagramSocket offPath = new DatagramSocket(new InetSocketAddress("127.0.0.3", 0));
                 DatagramSocket spoofer = new DatagramSocket(new InetSocketAddress(GatewayLab.A, 0))) {
                streams.add(new GatewayLab.Stream(lab.end("blue", 0), "blue", RATE));
                streams.add(new GatewayLab.Stream(lab.end("green", 0), "green", RATE));
                streams.add(new GatewayLab.Stream(lab.end("red", 1), "red", RATE));
                TwoGateways.waitFor(() -> lab.gwB.stats().sa("0x00001001", "in").packets() >= 200, "200 blue frames");
                double baseline = rate(lab.end("blue", 1), 1000);
                long attackStart = System.nanoTime();
                long blueAtAttack = lab.end("blue", 1).received.get();

                // 1. Replay storm: byte-exact copies of blue's sequence numbers 1..100, 50 times each.
                byte[][] captured = new byte[100][];
                for (int i = 0; i < 100; i++) {
                    captured[i] = replayer.seal("blue", 0x1001, GatewayLab.legit("blue", 1_000_000 + i));
                }
                attack(lab.gwB, "replay", "0x00001001", spoofer, espB, i -> captured[i % 100]);
                // 2. Bit flips: fresh sequence numbers (ahead of the window), one bit flipped past the header.
                attack(lab.gwB, "integrity", "0x00001001", offPath, espB, i -> {
                    byte[] p = future.seal("blue", 0x1001, GatewayLab.legit("blue", 2_000_000 + i));
                    int bit = 64 + random.nextInt((p.length - 8) * 8);
                    p[bit / 8] ^= (byte) (1 << (bit % 8));
                    return p;
                });
                // 3. Unknown SPIs: well-formed ESP of SPIs nobody configured.
                attack(lab.gwB, "unknown-spi", null, offPath, espB, i -> {
                    byte[] p = new byte[40 + random.nextInt(1400)];
                    random.nextBytes(p);
                    ByteBuffer.wrap(p).putInt(0x00AB_0000 + i).putInt(i + 1);
                    return p;
                });
                // 4. Truncated: valid packets cut to 1..33 bytes (shorter than header + IV + trailer + ICV).
                attack(lab.gwB, "truncated", null, offPath, espB, i -> {
                    byte[] p = future.seal("blue", 0x1001, GatewayLab.legit("blue", 3_000_000 + i));
                    return java.util.Arrays.copyOf(p, 1 + random.nextInt(33));
                });
                // 5. Random garbage at the cleartext ports from an address that is no peer.
                attack(lab.gwB, "unknown-peer", null, offPath, null, i -> {
                    byte[] p = new byte[1 + random.nextInt(1400)];
                    random.nextBytes(p);
                    return p;
                }, i -> i % 2 == 0 ? vxlanB : geneveB);
                // 6. RFC 3948 non-ESP markers at esp-port (IKE's zero SPI, NAT keepalives): not ours.
                attack(lab.gwB, "not-overlay", null, offPath, espB, i -> {
                    if (i % 2 == 0) {
                        return new byte[] {(byte) 0xFF};
                    }
                    byte[] p = new byte[8 + random.nextInt(200)];
                    random.nextBytes(p);
                    ByteBuffer.wrap(p).putInt(0);
                    return p;
                });
                // 7. Cleartext VXLAN aimed at blue, an ESP tenant, from the peer's own (spoofed) address.
                attack(lab.gwB, "cleartext-refused", null, spoofer, vxlanB,
                        i -> GatewayTest.vxlan(1001, GatewayLab.legit("blue", 4_000_000 + i)));
                // 8. Red's VNI inside an SA that may carry blue only (authentic, wrong tenant).
                attack(lab.gwB, "tenant-mismatch", "0x00001009", offPath, espB,
                        i -> stolen.seal("red", STOLEN_SPI, GatewayLab.legit("red", i)));
                // 9. Geneve with a critical option green never agreed to, from the peer's address.
                attack(lab.gwB, "geneve-critical-option", null, spoofer, geneveB,
                        i -> geneveWithCriticalOption(1003, GatewayLab.legit("green", 5_000_000 + i)));
                // 10. A malicious tenant: red's own port on gw-a sends frames above red's MTU, with DF
                // (without, they would be fragmented and delivered, as RFC 791 allows). Each is a
                // too-big drop; the ICMP errors go back to red's own port only, at most 1,000 a second.
                // 25 MB in a second at one port's 1 MiB socket buffer: what the kernel drops there
                // before the port reads it (a busy host) never reaches the gateway, so it is left out.
                GatewayLab.FarEnd redPort = lab.end("red", 0);
                int redListen = lab.ports("red")[0];
                long unreadBefore = GatewayLab.kernelDrops(redListen);
                Map<String, Long> before = drops(lab.gwA.stats());
                long oversizedFrom = System.nanoTime();
                pace(COUNT, i -> redPort.send(TwoGateways.frameDf(GatewayLab.MAC_2, GatewayLab.MAC_1,
                        "x".repeat(1500 + random.nextInt(7000)))));
                TwoGateways.waitFor(() -> delta(before, drops(lab.gwA.stats())).getOrDefault("too-big", 0L)
                        + GatewayLab.kernelDrops(redListen) - unreadBefore >= COUNT, "too-big");
                double oversizedSeconds = (System.nanoTime() - oversizedFrom) / 1e9;
                Thread.sleep(100);
                long read = COUNT - (GatewayLab.kernelDrops(redListen) - unreadBefore);
                // Enough read that red's token bucket (bursts of 50) had to hold errors back; how
                // many of the 5,000 the kernel dropped first depends on the host's load (2,072 read
                // once on a loaded one), not on the gateway.
                assertTrue(read >= 200, "the port read " + read + " of " + COUNT);
                assertEquals(Map.of("too-big", read), delta(before, drops(lab.gwA.stats())));
                double underAttack = (lab.end("blue", 1).received.get() - blueAtAttack)
                        / ((System.nanoTime() - attackStart) / 1e9);

                GatewayStats.PathMtuStats redMtu = lab.gwA.stats().tenant("red").pathMtu();
                // Every oversized frame got an error or was held back by red's token bucket
                // (1,000 a second, bursts of 50); the attack runs at 5,000 a second.
                long icmp = redMtu.fragmentationNeeded();
                assertEquals(read, icmp + redMtu.rateLimited(), redMtu::toString);
                assertTrue(icmp >= 50 && icmp <= 51 + 1000 * oversizedSeconds, () -> redMtu + " in " + oversizedSeconds + " s");

                streams.forEach(GatewayLab.Stream::close);
                for (GatewayLab.Stream s : streams) {
                    GatewayLab.FarEnd far = lab.end(s.tenant, s.from == lab.end(s.tenant, 0) ? 1 : 0);
                    TwoGateways.waitFor(() -> far.next.get() >= s.sent.get(), "the last " + s.tenant + " frame");
                    assertEquals(s.sent.get(), far.next.get(), far::toString);
                    assertEquals(0, far.lost.get(), () -> far + " kernel drops at gw-b esp " + GatewayLab.kernelDrops(lab.esp));
                    assertEquals(0, far.reordered.get(), far::toString);
                    // red's own port also got the ICMP errors about its oversized frames.
                    assertEquals(s.sent.get() + (far == redPort ? icmp : 0), far.received.get(), far::toString);
                }
                Thread.sleep(200);
                for (GatewayLab.FarEnd far : lab.ends()) {
                    assertEquals(far == redPort ? icmp : 0, far.foreign.get(), () -> "attack traffic reached a tenant: " + far);
                }
                // The far ends no stream sends to got nothing at all.
                for (GatewayLab.FarEnd far : List.of(lab.end("blue", 0), lab.end("green", 0), lab.end("red", 1))) {
                    assertEquals(0, far.received.get(), far::toString);
                }
                GatewayStats b = lab.gwB.stats();
                assertEquals(streams.get(0).sent.get(), b.tenant("blue").rxFrames());
                assertEquals(streams.get(1).sent.get(), b.tenant("green").rxFrames());
                assertEquals(0, b.tenant("red").rxFrames());
                System.out.printf("adversarial: legit blue delivered %.0f fps without attack, %.0f fps during %d attack"
                        + " packets over %.1f s; legit sent blue=%d green=%d red=%d, lost 0%n", baseline, underAttack,
                        10 * COUNT, (System.nanoTime() - attackStart) / 1e9, streams.get(0).sent.get(),
                        streams.get(1).sent.get(), streams.get(2).sent.get());
                // The rates are printed, not asserted: the legitimate streams are paced by a thread
                // the host may deschedule, so on a loaded machine their delivered rate measures the
                // scheduler. What the attack must not do, lose or reorder a legitimate frame, is
                // asserted above, frame by frame.
            } finally {
                streams.forEach(GatewayLab.Stream::close);
            }
        }
    }

    /** Delivered frames per second at {@code far} over {@code millis}. */
    static double rate(GatewayLab.FarEnd far, long millis) throws InterruptedException {
        long before = far.received.get();
        long t = System.nanoTime();
        Thread.sleep(millis);
        return (far.received.get() - before) / ((System.nanoTime() - t) / 1e9);
    }

    private static void attack(Gateway target, String reason, String spi, DatagramSocket from, InetSocketAddress to,
                               IntFunction<byte[]> packet) throws Exception {
        attack(target, reason, spi, from, to, packet, i -> to);
    }

    /**
     * Sends {@link #COUNT} packets, then waits until {@code target} counted them: the change in its
     * drops must be exactly {@code reason -> COUNT} (and on the SA {@code spi}, when given).
     */
    private static void attack(Gateway target, String reason, String spi, DatagramSocket from, InetSocketAddress to,
                               IntFunction<byte[]> packet, IntFunction<InetSocketAddress> where) throws Exception {
        Map<String, Long> before = drops(target.stats());
        Supplier<Long> onSa = () -> spi == null ? 0L
                : target.stats().sa(spi, "in").drops().getOrDefault(reason, 0L);
        long saBefore = onSa.get();
        pace(COUNT, i -> {
            byte[] p = packet.apply(i);
            try {
                from.send(new DatagramPacket(p, p.length, where.apply(i)));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        // A datagram the kernel dropped because the socket's buffer was full (the host busy with
        // other work) never reached the gateway's checks; the gateway counts those too, as
        // underlay kernel drops, and this waits for the two together.
        long kernelBefore = target.stats().underlayKernelDrops();
        java.util.function.LongSupplier kernel = () -> Math.max(0, target.stats().underlayKernelDrops() - kernelBefore);
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (delta(before, drops(target.stats())).getOrDefault(reason, 0L) + kernel.getAsLong() < COUNT
                && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        Thread.sleep(100); // anything counted late, or under another reason, shows now
        Map<String, Long> counted = delta(before, drops(target.stats()));
        long lost = kernel.getAsLong();
        long seen = counted.getOrDefault(reason, 0L);
        assertEquals(Set.of(reason), counted.keySet(), () -> reason + ": counted " + counted + ", workers " + target.stats().workers());
        assertTrue(seen <= COUNT && seen + lost >= COUNT, () -> reason + ": " + seen + " counted, " + lost
                + " dropped by the kernel at a full socket, of " + COUNT + " sent; workers " + target.stats().workers());
        if (spi != null) {
            assertEquals(seen, onSa.get() - saBefore, reason + " on SA " + spi);
        }
    }

    /** Runs {@code send} {@code n} times in bursts of 5 a millisecond apart: at most 5,000 a second. */
    static void pace(int n, java.util.function.IntConsumer send) {
        long next = System.nanoTime();
        for (int i = 0; i < n; i++) {
            send.accept(i);
            if (i % 5 == 4) {
                next += 1_000_000;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(wait);
                }
            }
        }
    }

    /** A Geneve header (RFC 8926 3.4, 3.5) with C set and one option whose type has the critical bit, then {@code inner}. */
    static byte[] geneveWithCriticalOption(int vni, byte[] inner) {
        ByteBuffer b = ByteBuffer.allocate(8 + 8 + inner.length);
        b.put((byte) 2)              // Ver 0, Opt Len 2 (4-byte words)
                .put((byte) 0x40)    // O = 0, C = 1: a critical option is present
                .putShort((short) 0x6558)
                .putInt(vni << 8)
                .putShort((short) 0x0102).put((byte) 0x81).put((byte) 1) // class, type (critical bit), length 1 word
                .putInt(0x0000000a)
                .put(inner);
        return b.array();
    }
}
