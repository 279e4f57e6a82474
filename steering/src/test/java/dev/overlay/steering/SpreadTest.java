package dev.overlay.steering;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class SpreadTest {
    private static final int PEER = 0xC000_0202;  // 192.0.2.2
    private static final int US = 0xC000_0201;    // 192.0.2.1

    /** Random SPIs as RFC 4303 receivers choose them: anything above 255, no repeats. */
    private static int[] randomSpis(int count, long seed) {
        Random r = new Random(seed);
        Set<Integer> seen = new HashSet<>();
        int[] spis = new int[count];
        for (int i = 0; i < count; i++) {
            int spi;
            do {
                spi = r.nextInt();
            } while (Integer.compareUnsigned(spi, 255) <= 0 || !seen.add(spi));
            spis[i] = spi;
        }
        return spis;
    }

    /** Every SA carries the same traffic; the busiest worker may be at most 1.5x the mean. */
    @Property(tries = 300)
    void spiKeepsTheBusiestWorkerWithinHalfAgainTheMean(@ForAll @IntRange(min = 1, max = 64) int sas,
                                                        @ForAll @IntRange(min = 1, max = 16) int workers,
                                                        @ForAll long seed) {
        SpiDispatcher d = new SpiDispatcher(workers);
        int[] spis = randomSpis(sas, seed);
        for (int spi : spis) {
            d.assign(SpiDispatcher.Direction.IN, spi);
        }
        long[] packets = new long[workers];
        for (int round = 0; round < 100; round++) {
            for (int spi : spis) {
                packets[d.workerFor(spi)]++;
            }
        }
        if (sas >= 4 * workers) {
            double mean = 100.0 * sas / workers;
            long busiest = java.util.Arrays.stream(packets).max().orElseThrow();
            assertTrue(busiest <= 1.5 * mean, "busiest " + busiest + " vs mean " + mean);
        }
        // Stronger and for any count: no worker owns more than one SA more than another.
        int min = Integer.MAX_VALUE;
        int max = 0;
        for (int w = 0; w < workers; w++) {
            min = Math.min(min, d.load(w));
            max = Math.max(max, d.load(w));
        }
        assertTrue(max - min <= 1, "loads differ by " + (max - min));
    }

    /** The paper's problem: ESP-in-UDP from one peer is one outer 4-tuple, whatever the SPI. */
    @Property(tries = 50)
    void flowPutsOnePeersEspInUdpOnOneWorkerWhileSpiSpreadsIt(@ForAll @IntRange(min = 2, max = 16) int workers,
                                                              @ForAll long seed) {
        int sas = 4 * workers;
        int[] spis = randomSpis(sas, seed);
        FlowDispatcher flow = new FlowDispatcher(workers);
        SpiDispatcher spi = new SpiDispatcher(workers);
        Set<Integer> flowWorkers = new HashSet<>();
        Set<Integer> spiWorkers = new HashSet<>();
        for (int s : spis) {
            spi.assign(SpiDispatcher.Direction.IN, s);
            flowWorkers.add(flow.workerFor(SteeringHash.ipv4(PEER, US, 4500, 4500)));
            spiWorkers.add(spi.workerFor(s));
        }
        assertEquals(1, flowWorkers.size());
        assertEquals(workers, spiWorkers.size());
    }

    @Test
    void eachSaHasOneOwnerPerDirectionAndUnknownSpisStillGetAStableWorker() {
        SpiDispatcher d = new SpiDispatcher(4);
        int in = d.assign(SpiDispatcher.Direction.IN, 0x1001);
        int out = d.assign(SpiDispatcher.Direction.OUT, 0x1001);
        assertEquals(in, d.assign(SpiDispatcher.Direction.IN, 0x1001), "assign is idempotent");
        assertEquals(in, d.workerFor(0x1001));
        assertEquals(out, d.ownerOf(SpiDispatcher.Direction.OUT, 0x1001));
        assertTrue(in != out, "the second SA goes to a less loaded worker");
        assertEquals(d.workerFor(0xDEAD), d.workerFor(0xDEAD));
        assertTrue(d.remove(SpiDispatcher.Direction.IN, 0x1001));
        assertEquals(0, d.load(in));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> d.assign(SpiDispatcher.Direction.IN, 0));
        assertEquals("spi: 0 (expected: 1..0xffffffff)", e.getMessage());
        // RFC 4303 reserves 1..255 for IANA, but peers use them (OpenDataPlane's 123, DPDK's 52).
        int reserved = d.assign(SpiDispatcher.Direction.IN, 123);
        assertEquals(reserved, d.workerFor(123));
    }

    /** Per-resource SAs: a flow keeps its SA, and flows spread evenly over the SAs. */
    @Property(tries = 30)
    void pickIsStableAndSpreads(@ForAll @IntRange(min = 1, max = 16) int count, @ForAll long seed) {
        Random r = new Random(seed);
        int flows = 32_000;
        int[] hits = new int[count];
        for (int i = 0; i < flows; i++) {
            int h = r.nextInt();
            int choice = SteeringHash.pick(h, count);
            assertEquals(choice, SteeringHash.pick(h, count));
            hits[choice]++;
        }
        double mean = (double) flows / count;
        for (int n : hits) {
            assertTrue(Math.abs(n - mean) < 0.1 * mean, "choice share " + n + " vs mean " + mean);
        }
    }

    /** Adding an SA re-pins only the flows it takes over: about 1/(n+1), all onto the new one. */
    @Property(tries = 20)
    void addingAChoiceMovesOnlyItsShare(@ForAll @IntRange(min = 1, max = 15) int count, @ForAll long seed) {
        Random r = new Random(seed);
        int flows = 20_000;
        int moved = 0;
        for (int i = 0; i < flows; i++) {
            int h = r.nextInt();
            int before = SteeringHash.pick(h, count);
            int after = SteeringHash.pick(h, count + 1);
            if (before != after) {
                assertEquals(count, after, "a moved flow goes to the new choice only");
                moved++;
            }
        }
        double expected = (double) flows / (count + 1);
        assertTrue(Math.abs(moved - expected) < 0.15 * expected, "moved " + moved + " vs " + expected);
    }

    @Test
    void sequentialSpisAndOneCountAreHandled() {
        assertEquals(0, SteeringHash.pick(12345, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SteeringHash.pick(1, 0));
        assertEquals("count: 0 (expected: > 0)", e.getMessage());
        // Sequential SPIs, as configs write them: assignment balances them exactly, where a pure
        // hash of 16 SPIs leaves some worker empty about 4% of the time.
        SpiDispatcher d = new SpiDispatcher(4);
        for (int spi = 0x1001; spi < 0x1011; spi++) {
            d.assign(SpiDispatcher.Direction.OUT, spi);
        }
        for (int w = 0; w < 4; w++) {
            assertEquals(4, d.load(w));
        }
    }

    /** The snapshot the kernel's socket steering is built from: one direction's SAs, each with the owner assign gave it. */
    @Test
    void ownersListsOneDirectionsAssignments() {
        SpiDispatcher d = new SpiDispatcher(2);
        int a = d.assign(SpiDispatcher.Direction.IN, 0x1000);
        int b = d.assign(SpiDispatcher.Direction.IN, 0xF000_0000);
        d.assign(SpiDispatcher.Direction.OUT, 0x1000);
        d.remove(SpiDispatcher.Direction.IN, 0x2000);
        assertEquals(java.util.Map.of(0x1000, a, 0xF000_0000, b), d.owners(SpiDispatcher.Direction.IN));
        assertEquals(1, d.owners(SpiDispatcher.Direction.OUT).size());
    }

    /** A partner's owner: given, counted in the load the next free assignment balances against, kept once given. */
    @Test
    void anSaCanBeGivenItsPartnersOwner() {
        SpiDispatcher d = new SpiDispatcher(2);
        int out = d.assign(SpiDispatcher.Direction.OUT, 0xA001);
        assertEquals(-1, d.ownerIfAssigned(SpiDispatcher.Direction.IN, 0xB001));
        assertEquals(out, d.assign(SpiDispatcher.Direction.IN, 0xB001, out));
        assertEquals(out, d.ownerIfAssigned(SpiDispatcher.Direction.IN, 0xB001));
        assertEquals(out, d.workerFor(0xB001));
        assertEquals(2, d.load(out));
        int next = d.assign(SpiDispatcher.Direction.OUT, 0xA002);
        assertEquals(1 - out, next, "the other worker is less loaded now");
        assertEquals(out, d.assign(SpiDispatcher.Direction.IN, 0xB001, 1 - out), "an owner once given is kept");
        assertEquals(1, d.owners(SpiDispatcher.Direction.IN).size());
        assertThrows(IllegalArgumentException.class, () -> d.assign(SpiDispatcher.Direction.IN, 0xB002, 2));
        assertThrows(IllegalArgumentException.class, () -> d.assign(SpiDispatcher.Direction.IN, 0, 0));
    }
}
