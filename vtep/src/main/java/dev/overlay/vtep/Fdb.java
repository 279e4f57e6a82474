package dev.overlay.vtep;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * The forwarding database of one tenant: which peer a unicast MAC lives behind. Static entries
 * come from configuration and never age or move; the rest is learned from the inner source MAC
 * of decapsulated frames and ages out like a Linux bridge's (default 300 s). An unknown,
 * multicast or broadcast destination is flooded to the flood list, in configuration order.
 *
 * <p>Remote entries (cluster mode) are static entries installed at run time from another
 * gateway's announcement of a MAC behind it, as EVPN's MAC/IP routes (RFC 7432 section 7.2):
 * they never age here (their origin withdraws them) and learning never moves them; a config
 * static entry for the same MAC wins over them.
 *
 * <p>Thread-safe: lookups from every worker read a {@link MacTable} without locking or boxing;
 * learning a MAC already known at the same peer only refreshes its timestamp, and only once a
 * second, so the common case writes no shared cache line. Learned entries are capped so a flood of forged
 * source MACs cannot grow memory without bound (they then fall back to flooding).
 */
public final class Fdb {
    public static final Duration DEFAULT_AGEING = Duration.ofSeconds(300);
    public static final int DEFAULT_MAX_LEARNED = 1 << 16;
    private static final long REFRESH_NANOS = 1_000_000_000L;

    /** One entry as tools see it. */
    public record Entry(MacAddress mac, String peer, boolean isStatic, Duration age) {}

    private volatile List<String> floodList;
    private final MacTable table = new MacTable();
    private final long ageingNanos;
    private final LongSupplier nanoClock;
    private final int maxLearned;
    private final AtomicInteger learned = new AtomicInteger();

    public Fdb(List<String> floodList, Map<MacAddress, String> staticEntries) {
        this(floodList, staticEntries, DEFAULT_AGEING, System::nanoTime, DEFAULT_MAX_LEARNED);
    }

    /**
     * @param floodList peers that receive broadcast, multicast and unknown unicast, in order
     * @param nanoClock a monotonic clock in nanoseconds ({@code System::nanoTime}; fake in tests)
     */
    public Fdb(List<String> floodList, Map<MacAddress, String> staticEntries, Duration ageing,
            LongSupplier nanoClock, int maxLearned) {
        this.floodList = List.copyOf(floodList);
        if (ageing.isNegative() || ageing.isZero()) {
            throw new IllegalArgumentException("ageing: " + ageing + " (expected: > 0)");
        }
        Bounds.checkRange(maxLearned, 0, Integer.MAX_VALUE, "max learned");
        this.ageingNanos = ageing.toNanos();
        this.nanoClock = nanoClock;
        this.maxLearned = maxLearned;
        long now = nanoClock.getAsLong();
        staticEntries.forEach((mac, peer) -> {
            if (mac.isMulticast()) {
                throw new IllegalArgumentException(
                        "fdb mac: " + mac + " (expected: a unicast address)");
            }
            MacTable.Node old = table.get(mac.value());
            table.put(new MacTable.Node(mac.value(), peer, true, now), old);
        });
    }

    /** The peer behind a known unicast MAC, or null: the caller floods. */
    public String lookup(long mac) {
        if (MacAddress.isMulticast(mac)) {
            return null;
        }
        MacTable.Node s = table.get(mac);
        if (s == null || (!s.isStatic && nanoClock.getAsLong() - s.lastSeen > ageingNanos)) {
            return null;
        }
        return s.peer;
    }

    public List<String> floodList() {
        return floodList;
    }

    /**
     * Records that {@code srcMac} was seen behind {@code peer}. Multicast sources are never
     * learned (they are not stations), static entries never move. True when the table changed
     * (a new station or one that moved), so callers can count it.
     */
    public boolean learn(long srcMac, String peer) {
        if (MacAddress.isMulticast(srcMac)) {
            return false;
        }
        long now = nanoClock.getAsLong();
        MacTable.Node s = table.get(srcMac);
        if (s != null && (s.isStatic || s.peer.equals(peer))) {
            if (!s.isStatic && now - s.lastSeen >= REFRESH_NANOS) {
                s.lastSeen = now;
            }
            return false;
        }
        if (s == null) {
            if (learned.get() >= maxLearned) {
                return false;
            }
            if (table.put(new MacTable.Node(srcMac, peer, false, now), null)) {
                learned.incrementAndGet();
                return true;
            }
            return false; // another worker learned it first
        }
        return table.put(new MacTable.Node(srcMac, peer, false, now), s); // the station moved
    }

    /**
     * Installs or moves the remote entry of {@code mac}: replaces a learned entry or another
     * remote one, never a config static entry. True when the table changed.
     */
    public boolean putRemote(long mac, String peer) {
        if (MacAddress.isMulticast(mac)) {
            throw new IllegalArgumentException("mac: " + new MacAddress(mac) + " (expected: a unicast address)");
        }
        while (true) {
            MacTable.Node s = table.get(mac);
            if (s != null && (s.isStatic && !s.remote || s.remote && s.peer.equals(peer))) {
                return false;
            }
            if (table.put(new MacTable.Node(mac, peer, true, true, nanoClock.getAsLong()), s)) {
                if (s != null && !s.isStatic) {
                    learned.decrementAndGet();
                }
                return true;
            }
            // A worker learned or moved it meanwhile: look again.
        }
    }

    /** Removes the remote entry of {@code mac} if it points at {@code peer}. True when one was removed. */
    public boolean removeRemote(long mac, String peer) {
        MacTable.Node s = table.get(mac);
        return s != null && s.remote && s.peer.equals(peer) && table.remove(s);
    }

    /** How many remote entries there are now (a scan: for stats, not per packet). */
    public int remoteCount() {
        int[] n = {0};
        table.forEach(s -> n[0] += s.remote ? 1 : 0);
        return n[0];
    }

    /** The remote entries now, MAC to peer: allocates, for the agent that reconciles them. */
    public Map<Long, String> remote() {
        Map<Long, String> out = new HashMap<>();
        table.forEach(s -> {
            if (s.remote) {
                out.put(s.mac, s.peer);
            }
        });
        return out;
    }

    /**
     * Applies a reloaded tenant config without losing what was learned: the new flood list, the
     * config's static entries added, moved or removed, and learned or remote entries behind
     * peers no longer in the flood list removed (they would only be flooded anyway).
     */
    public synchronized void reconfigure(List<String> floodList, Map<MacAddress, String> staticEntries) {
        this.floodList = List.copyOf(floodList);
        long now = nanoClock.getAsLong();
        table.forEach(s -> {
            boolean configStatic = s.isStatic && !s.remote;
            boolean keep = configStatic ? s.peer.equals(staticEntries.get(new MacAddress(s.mac)))
                    : this.floodList.contains(s.peer);
            if (!keep && table.remove(s) && !s.isStatic) {
                learned.decrementAndGet();
            }
        });
        staticEntries.forEach((mac, peer) -> {
            while (true) {
                MacTable.Node old = table.get(mac.value());
                if (old != null && old.isStatic && !old.remote && old.peer.equals(peer)) {
                    break;
                }
                if (table.put(new MacTable.Node(mac.value(), peer, true, now), old)) {
                    if (old != null && !old.isStatic) {
                        learned.decrementAndGet();
                    }
                    break;
                }
            }
        });
    }

    /** Removes learned entries not seen for the ageing time; returns how many. */
    public int expire() {
        long now = nanoClock.getAsLong();
        int[] removed = {0};
        table.forEach(s -> {
            if (!s.isStatic && now - s.lastSeen > ageingNanos && table.remove(s)) {
                learned.decrementAndGet();
                removed[0]++;
            }
        });
        return removed[0];
    }

    /** Static plus learned entries, aged ones included until {@link #expire()} runs. */
    public int size() {
        return table.size();
    }

    public int learnedCount() {
        return learned.get();
    }

    /** Every entry, sorted by MAC: allocates, for tools. */
    public List<Entry> snapshot() {
        long now = nanoClock.getAsLong();
        List<Entry> list = new ArrayList<>();
        table.forEach(s -> list.add(new Entry(new MacAddress(s.mac), s.peer, s.isStatic,
                Duration.ofNanos(Math.max(0, now - s.lastSeen)))));
        list.sort(Comparator.comparingLong(e -> e.mac().value()));
        return list;
    }
}
