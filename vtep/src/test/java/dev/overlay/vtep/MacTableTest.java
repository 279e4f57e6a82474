package dev.overlay.vtep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class MacTableTest {
    /** Any sequence of inserts, moves and removals agrees with a HashMap. */
    @Property(tries = 300)
    void behavesLikeAMap(@ForAll @Size(max = 400) List<@IntRange(max = 300) Integer> ops) {
        MacTable table = new MacTable();
        Map<Long, MacTable.Node> model = new HashMap<>();
        for (int op : ops) {
            long mac = 0x0200_0000_0000L + op % 150;
            MacTable.Node current = table.get(mac);
            assertSame(model.get(mac), current);
            if (op >= 150 && current != null) {
                assertEquals(true, table.remove(current));
                model.remove(mac);
            } else {
                MacTable.Node node = new MacTable.Node(mac, "p" + op, false, 0);
                assertEquals(true, table.put(node, current));
                model.put(mac, node);
            }
            assertEquals(model.size(), table.size());
        }
        for (Map.Entry<Long, MacTable.Node> e : model.entrySet()) {
            assertSame(e.getValue(), table.get(e.getKey()));
        }
        List<MacTable.Node> all = new ArrayList<>();
        table.forEach(all::add);
        assertEquals(model.size(), all.size());
    }

    @Test
    void staleExpectationsAreRefused() {
        MacTable table = new MacTable();
        MacTable.Node a = new MacTable.Node(1, "a", false, 0);
        assertEquals(true, table.put(a, null));
        assertEquals(false, table.put(new MacTable.Node(1, "b", false, 0), null));
        assertEquals(false, table.put(new MacTable.Node(2, "b", false, 0), a));
        assertEquals(false, table.remove(new MacTable.Node(1, "a", false, 0)));
        assertNull(table.get(2));
    }

    /** Readers never see a wrong entry while writers insert, move and remove concurrently. */
    @Test
    void concurrentReadersSeeOnlyTheirOwnMacs() throws Exception {
        MacTable table = new MacTable();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger wrong = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            threads.add(Thread.ofPlatform().start(() -> {
                while (!stop.get()) {
                    for (long mac = 0; mac < 5000; mac++) {
                        MacTable.Node n = table.get(mac);
                        if (n != null && (n.mac != mac || !n.peer.equals("p" + mac % 7))) {
                            wrong.incrementAndGet();
                        }
                    }
                }
            }));
        }
        for (int round = 0; round < 20; round++) {
            for (long mac = 0; mac < 5000; mac++) {
                MacTable.Node old = table.get(mac);
                if (old != null && round % 3 == 0) {
                    table.remove(old);
                } else {
                    table.put(new MacTable.Node(mac, "p" + mac % 7, false, round), old);
                }
            }
        }
        stop.set(true);
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(0, wrong.get());
    }
}
