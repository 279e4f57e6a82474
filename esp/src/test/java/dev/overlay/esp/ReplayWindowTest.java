package dev.overlay.esp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReplayWindowTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 64, 1024, 8192, 65536})
    void oldestNumberInTheWindowIsAcceptedAndOneOlderRefused(int size) {
        ReplayWindow w = new ReplayWindow(size, 0);
        long top = 100_000;
        assertTrue(w.check(top));
        w.advance(top);
        long oldest = top - size + 1;
        assertEquals(size == 1, !w.check(oldest), "only the top itself is in a window of 1");
        assertFalse(w.check(oldest - 1), "one left of the window");
        if (size > 1) {
            w.advance(oldest);
            assertFalse(w.check(oldest), "duplicate of the oldest");
        }
        assertFalse(w.check(top), "duplicate of the top");
        assertTrue(w.check(top + 1));
    }

    @ParameterizedTest
    @ValueSource(ints = {64, 1024, 8192})
    void reorderingInsideTheWindowIsAcceptedOnce(int size) {
        ReplayWindow w = new ReplayWindow(size, 0);
        for (long s = size; s >= 1; s--) {
            assertTrue(w.check(s), "first sight of " + s);
            w.advance(s);
            assertFalse(w.check(s), "second sight of " + s);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {64, 1024, 8192})
    void aJumpFurtherThanTheWindowForgetsEverything(int size) {
        ReplayWindow w = new ReplayWindow(size, 0);
        for (long s = 1; s <= 200; s++) {
            w.advance(s);
        }
        w.advance(200 + 3L * size);
        for (long s = 200 + 2L * size + 1; s < 200 + 3L * size; s++) {
            assertTrue(w.check(s), "unseen " + s);
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 1, 4294967295L})
    void offWindowAcceptsDuplicatesButNeverZero(long initial) {
        ReplayWindow w = new ReplayWindow(0, initial);
        w.advance(initial + 5);
        assertTrue(w.check(initial + 5));
        assertTrue(w.check(initial + 1));
        assertFalse(w.check(0));
        assertEquals(initial + 5, w.top());
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 7, 1L << 32, -2L})
    void initialSequenceCountsAsSeen(long initial) {
        ReplayWindow w = new ReplayWindow(64, initial);
        if (initial != 0) {
            assertFalse(w.check(initial));
        }
        assertTrue(w.check(initial + 1));
        assertEquals(initial, w.top());
    }

    @Provide
    Arbitrary<List<Long>> sequences() {
        // Mostly forward with reordering and duplicates, sometimes a big jump.
        return Arbitraries.longs().between(-80, 300).list().ofMinSize(1).ofMaxSize(400);
    }

    /** The window against the obvious model: a set of everything seen and the top. */
    @Property(tries = 300)
    void agreesWithATreeSetModel(@ForAll("sequences") List<Long> steps, @ForAll @IntRange(min = 0, max = 300) int size) {
        ReplayWindow w = new ReplayWindow(size, 0);
        TreeSet<Long> seen = new TreeSet<>();
        long top = 0;
        long cursor = 1000;
        for (long step : steps) {
            cursor = Math.max(1, cursor + step);
            long s = cursor;
            boolean expected = size == 0 || (s > top || (top - s < size && !seen.contains(s)));
            assertEquals(expected, w.check(s), "sequence " + s + " top " + top + " size " + size);
            if (expected) {
                w.advance(s);
                seen.add(s);
                top = Math.max(top, s);
            }
        }
    }
}
