package dev.overlay.vtep;

import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;

/**
 * A hash table keyed by a 48-bit MAC held in a long, so a lookup boxes nothing (a
 * {@code ConcurrentHashMap<Long, ?>} allocates a Long per lookup: 24 B per packet in the
 * benchmark). Open addressing with linear probing. Readers take no lock and see either the old
 * or the new entry of a slot; writers serialise on the table. A resize copies the entries into a
 * new array and publishes it; a reader still on the old array may miss an entry learned during
 * the copy, which only means one more flood.
 */
final class MacTable {
    /**
     * A learned or static station; {@code lastSeen} is written by readers on refresh. A
     * {@code remote} entry is static too (never ages, never moves by learning), but installed at
     * run time from another gateway's announcement rather than from the config.
     */
    static final class Node {
        final long mac;
        final String peer;
        final boolean isStatic;
        final boolean remote;
        volatile long lastSeen;

        Node(long mac, String peer, boolean isStatic, long lastSeen) {
            this(mac, peer, isStatic, false, lastSeen);
        }

        Node(long mac, String peer, boolean isStatic, boolean remote, long lastSeen) {
            this.mac = mac;
            this.peer = peer;
            this.isStatic = isStatic || remote;
            this.remote = remote;
            this.lastSeen = lastSeen;
        }
    }

    /** Marks a removed slot so probe chains stay intact; -1 is no 48-bit MAC. */
    private static final Node TOMBSTONE = new Node(-1, null, false, 0);

    private volatile AtomicReferenceArray<Node> slots = new AtomicReferenceArray<>(64);
    /** Live entries (read without the lock) and tombstones; written under this. */
    private volatile int size;
    private int tombstones;

    private static int index(long mac, int mask) {
        long h = mac * 0x9E37_79B9_7F4A_7C15L;
        return (int) (h >>> 40) & mask;
    }

    Node get(long mac) {
        AtomicReferenceArray<Node> s = slots;
        int mask = s.length() - 1;
        for (int i = index(mac, mask), n = 0; n <= mask; i = (i + 1) & mask, n++) {
            Node e = s.get(i);
            if (e == null) {
                return null;
            }
            if (e.mac == mac) {
                return e;
            }
        }
        return null;
    }

    /**
     * Inserts {@code node} when its MAC is absent and {@code expected} is null, or replaces the
     * MAC's entry when that is {@code expected}; false otherwise.
     */
    synchronized boolean put(Node node, Node expected) {
        AtomicReferenceArray<Node> s = slots;
        int mask = s.length() - 1;
        int free = -1;
        int end = -1;
        for (int i = index(node.mac, mask), n = 0; n <= mask; i = (i + 1) & mask, n++) {
            Node e = s.get(i);
            if (e == null) {
                end = i;
                break;
            }
            if (e == TOMBSTONE) {
                free = free < 0 ? i : free;
            } else if (e.mac == node.mac) {
                if (e != expected) {
                    return false;
                }
                s.set(i, node);
                return true;
            }
        }
        if (expected != null) {
            return false;
        }
        if (free >= 0) {
            tombstones--;
        } else if (end >= 0) {
            free = end;
        } else {
            throw new IllegalStateException("mac table full"); // unreachable: kept under half full
        }
        s.set(free, node);
        size++;
        if ((size + tombstones) * 2 > s.length()) {
            // Grow while live entries pass a quarter; otherwise only sweep the tombstones.
            resize(size * 4 > s.length() ? s.length() * 2 : s.length());
        }
        return true;
    }

    /** Removes {@code node} if it is still the entry of its MAC. */
    synchronized boolean remove(Node node) {
        AtomicReferenceArray<Node> s = slots;
        int mask = s.length() - 1;
        for (int i = index(node.mac, mask), n = 0; n <= mask; i = (i + 1) & mask, n++) {
            Node e = s.get(i);
            if (e == null) {
                return false;
            }
            if (e == node) {
                s.set(i, TOMBSTONE);
                size--;
                tombstones++;
                return true;
            }
        }
        return false;
    }

    private void resize(int length) {
        AtomicReferenceArray<Node> old = slots;
        AtomicReferenceArray<Node> fresh = new AtomicReferenceArray<>(length);
        int mask = length - 1;
        for (int j = 0; j < old.length(); j++) {
            Node e = old.get(j);
            if (e != null && e != TOMBSTONE) {
                int i = index(e.mac, mask);
                while (fresh.get(i) != null) {
                    i = (i + 1) & mask;
                }
                fresh.set(i, e);
            }
        }
        tombstones = 0;
        slots = fresh;
    }

    int size() {
        return size;
    }

    void forEach(Consumer<Node> action) {
        AtomicReferenceArray<Node> s = slots;
        for (int i = 0; i < s.length(); i++) {
            Node e = s.get(i);
            if (e != null && e != TOMBSTONE) {
                action.accept(e);
            }
        }
    }
}
