package dev.overlay.vtep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FdbTest {
    private static final long A = MacAddress.of("02:00:00:00:00:0a").value();
    private static final long B = MacAddress.of("02:00:00:00:00:0b").value();
    private static final MacAddress STATIC = MacAddress.of("02:00:00:00:00:02");

    private long now = 1_000_000_000_000L;
    private final Fdb fdb = new Fdb(List.of("gw-c", "gw-b", "gw-d"), Map.of(STATIC, "gw-b"),
            Duration.ofSeconds(300), () -> now, 3);

    @Test
    void staticEntriesAreFoundAndNeverMoveOrAge() {
        assertEquals("gw-b", fdb.lookup(STATIC.value()));
        assertFalse(fdb.learn(STATIC.value(), "gw-c"));
        now += Duration.ofDays(1).toNanos();
        assertEquals(0, fdb.expire());
        assertEquals("gw-b", fdb.lookup(STATIC.value()));
    }

    @Test
    void learnedStationsAreFoundAndMove() {
        assertNull(fdb.lookup(A));
        assertTrue(fdb.learn(A, "gw-c"));
        assertFalse(fdb.learn(A, "gw-c"));
        assertEquals("gw-c", fdb.lookup(A));
        assertTrue(fdb.learn(A, "gw-d"));
        assertEquals("gw-d", fdb.lookup(A));
        assertEquals(1, fdb.learnedCount());
        assertEquals(2, fdb.size());
    }

    @Test
    void learnedEntriesAgeOutButRefreshingKeepsThem() {
        fdb.learn(A, "gw-c");
        fdb.learn(B, "gw-c");
        now += Duration.ofSeconds(200).toNanos();
        fdb.learn(A, "gw-c"); // seen again: refreshed
        now += Duration.ofSeconds(150).toNanos();
        assertEquals("gw-c", fdb.lookup(A));
        assertNull(fdb.lookup(B), "aged entries are absent even before expire()");
        assertEquals(1, fdb.expire());
        assertEquals(1, fdb.learnedCount());
        now += Duration.ofSeconds(301).toNanos();
        assertEquals(1, fdb.expire());
        assertEquals(1, fdb.size());
    }

    @Test
    void multicastSourcesAreNotLearnedAndMulticastDestinationsFlood() {
        long multicast = MacAddress.of("01:00:5e:00:00:01").value();
        assertFalse(fdb.learn(multicast, "gw-c"));
        assertFalse(fdb.learn(MacAddress.BROADCAST.value(), "gw-c"));
        assertNull(fdb.lookup(multicast));
        assertEquals(0, fdb.learnedCount());
    }

    @Test
    void floodListKeepsConfigOrder() {
        assertEquals(List.of("gw-c", "gw-b", "gw-d"), fdb.floodList());
    }

    @Test
    void learningStopsAtTheCap() {
        for (int i = 0; i < 5; i++) {
            fdb.learn(A + 2 * i, "gw-c");
        }
        assertEquals(3, fdb.learnedCount());
        assertNull(fdb.lookup(A + 8));
    }

    @Test
    void snapshotListsEverythingSorted() {
        fdb.learn(B, "gw-d");
        now += 5_000_000_000L;
        List<Fdb.Entry> s = fdb.snapshot();
        assertEquals(2, s.size());
        assertEquals(new Fdb.Entry(STATIC, "gw-b", true, Duration.ofSeconds(5)), s.get(0));
        assertEquals(new Fdb.Entry(new MacAddress(B), "gw-d", false, Duration.ofSeconds(5)),
                s.get(1));
    }

    @Test
    void staticMulticastEntriesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Fdb(List.of(),
                Map.of(MacAddress.BROADCAST, "gw-b")));
    }

    @Test
    void remoteEntriesReplaceLearnedOnesNeverAgeAndDoNotMoveByLearning() {
        assertTrue(fdb.learn(A, "gw-c"));
        assertTrue(fdb.putRemote(A, "gw-d"));
        assertEquals(0, fdb.learnedCount(), "the learned entry it replaced is no longer counted");
        assertEquals("gw-d", fdb.lookup(A));
        assertFalse(fdb.learn(A, "gw-c"), "a frame from elsewhere does not move a remote entry");
        now += Duration.ofDays(1).toNanos();
        assertEquals(0, fdb.expire());
        assertEquals("gw-d", fdb.lookup(A));
        assertFalse(fdb.putRemote(A, "gw-d"), "the same announcement again changes nothing");
        assertTrue(fdb.putRemote(A, "gw-b"), "the MAC moved to another gateway");
        assertEquals(Map.of(A, "gw-b"), fdb.remote());
        assertFalse(fdb.removeRemote(A, "gw-d"), "a withdrawal by the gateway it left does not remove it");
        assertTrue(fdb.removeRemote(A, "gw-b"));
        assertNull(fdb.lookup(A));
        assertEquals(Map.of(), fdb.remote());
    }

    @Test
    void aConfigStaticEntryWinsOverARemoteOne() {
        assertFalse(fdb.putRemote(STATIC.value(), "gw-c"));
        assertEquals("gw-b", fdb.lookup(STATIC.value()));
        assertFalse(fdb.removeRemote(STATIC.value(), "gw-b"));
        assertEquals("gw-b", fdb.lookup(STATIC.value()));
    }

    @Test
    void reconfigureKeepsWhatWasLearnedBehindPeersThatStay() {
        fdb.learn(A, "gw-c");
        fdb.learn(B, "gw-d");
        long remote = MacAddress.of("02:00:00:00:00:0c").value();
        fdb.putRemote(remote, "gw-d");
        MacAddress moved = MacAddress.of("02:00:00:00:00:0e");
        fdb.reconfigure(List.of("gw-c", "gw-b", "gw-e"), Map.of(moved, "gw-e"));
        assertEquals(List.of("gw-c", "gw-b", "gw-e"), fdb.floodList());
        assertEquals("gw-c", fdb.lookup(A), "learned behind a peer that stays: kept");
        assertNull(fdb.lookup(B), "learned behind a peer that left: removed");
        assertNull(fdb.lookup(remote), "remote behind a peer that left: removed");
        assertNull(fdb.lookup(STATIC.value()), "a static entry the config no longer has: removed");
        assertEquals("gw-e", fdb.lookup(moved.value()));
        assertEquals(1, fdb.learnedCount());
        assertEquals(2, fdb.size());
    }
}
