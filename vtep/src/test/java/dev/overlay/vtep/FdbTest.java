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
}
