package dev.overlay.steering;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code spi} policy: each SA has exactly one owner worker, found by hashing its SPI into an
 * owner table, so its replay window (inbound) or sequence counter (outbound) is only ever
 * touched by one thread and needs no lock (VPP's {@code ipsec_sa_t.thread_index}).
 *
 * <p>This is the paper's software RPS on the SPI. Owners are assigned when SAs are installed,
 * each to the worker with the fewest SAs (of those, the first at or after the SPI's hashed worker): a pure hash of a
 * handful of SPIs is lumpy (two workers, eight random SPIs: seven or more on one worker 7% of
 * the time), while assignment keeps every worker within one SA of the others. An SPI with no
 * owner (a stray or forged packet) falls back to the pure hash; the decrypt stage drops it.
 *
 * <p>Reads are lock-free against a copy-on-write table; installs and removals are rare
 * (config load and reload) and serialised.
 */
public final class SpiDispatcher implements Dispatcher {
    /** The SA's direction as the config writes it: the same SPI value may exist both ways. */
    public enum Direction { IN, OUT }

    private final int workers;
    private final int[] load;
    private final Map<Long, Integer> owners = new HashMap<>();
    private volatile OwnerTable table = OwnerTable.build(Map.of());

    public SpiDispatcher(int workers) {
        if (workers < 1) {
            throw new IllegalArgumentException("workers: " + workers + " (expected: > 0)");
        }
        this.workers = workers;
        this.load = new int[workers];
    }

    /** The owner of the inbound SA {@code spi}: the receive path's dispatch. */
    @Override
    public int workerFor(int spi) {
        return ownerOf(Direction.IN, spi);
    }

    /** The owner of the SA; for an SPI with no owner, its hashed worker. */
    public int ownerOf(Direction direction, int spi) {
        int owner = table.get(key(direction, spi));
        return owner >= 0 ? owner : SteeringHash.pick(spi, workers);
    }

    @Override
    public int workers() {
        return workers;
    }

    /**
     * Gives the SA an owner, or returns the one it has.
     *
     * @throws IllegalArgumentException for SPI 0 (RFC 4303 2.1: never sent on the wire). 1..255,
     *     reserved for IANA but used by peers (OpenDataPlane, DPDK), are owned like any other
     */
    public synchronized int assign(Direction direction, int spi) {
        int owner = SteeringHash.pick(spi, workers);
        for (int i = 1; i < workers; i++) {
            int w = (owner + i) % workers;
            if (load[w] < load[owner]) {
                owner = w;
            }
        }
        return assign(direction, spi, owner); // checks the SPI, and keeps an owner already given
    }

    /**
     * Gives the SA the owner {@code worker} (a partner SA's, so that both directions of one flow
     * are handled on one worker), or returns the one it has. Out-of-range workers are misuse.
     */
    public synchronized int assign(Direction direction, int spi, int worker) {
        if (spi == 0) {
            throw new IllegalArgumentException("spi: 0 (expected: 1..0xffffffff)");
        }
        if (worker < 0 || worker >= workers) {
            throw new IllegalArgumentException("worker: " + worker + " (expected: 0.." + (workers - 1) + ")");
        }
        Long key = key(direction, spi);
        Integer existing = owners.get(key);
        if (existing != null) {
            return existing;
        }
        load[worker]++;
        owners.put(key, worker);
        table = OwnerTable.build(owners);
        return worker;
    }

    /** The SA's owner, or -1 when it has none. */
    public synchronized int ownerIfAssigned(Direction direction, int spi) {
        Integer owner = owners.get(key(direction, spi));
        return owner == null ? -1 : owner;
    }

    /** Forgets the SA (deleted or expired); false if it had no owner. */
    public synchronized boolean remove(Direction direction, int spi) {
        Integer owner = owners.remove(key(direction, spi));
        if (owner == null) {
            return false;
        }
        load[owner]--;
        table = OwnerTable.build(owners);
        return true;
    }

    /** Each SA of {@code direction} that has an owner, SPI to owner worker: a snapshot. */
    public synchronized Map<Integer, Integer> owners(Direction direction) {
        Map<Integer, Integer> out = new TreeMap<>(Integer::compareUnsigned);
        long tag = (long) (direction.ordinal() + 1) << 32;
        owners.forEach((key, owner) -> {
            if ((key & 0xFFFF_FFFF_0000_0000L) == tag) {
                out.put((int) (long) key, owner);
            }
        });
        return out;
    }

    /** How many SAs {@code worker} owns. */
    public synchronized int load(int worker) {
        return load[worker];
    }

    /** Never 0, the table's empty marker. */
    private static long key(Direction direction, int spi) {
        return (long) (direction.ordinal() + 1) << 32 | (spi & 0xFFFF_FFFFL);
    }

    /** An immutable open-addressing map from key to owner, at most half full. */
    private record OwnerTable(long[] keys, int[] owners, int mask) {
        static OwnerTable build(Map<Long, Integer> from) {
            int capacity = Integer.highestOneBit(Math.max(4, from.size() * 2 - 1)) << 1;
            long[] keys = new long[capacity];
            int[] owners = new int[capacity];
            int mask = capacity - 1;
            for (Map.Entry<Long, Integer> e : from.entrySet()) {
                long k = e.getKey();
                int i = slot(k, mask);
                while (keys[i] != 0) {
                    i = (i + 1) & mask;
                }
                keys[i] = k;
                owners[i] = e.getValue();
            }
            return new OwnerTable(keys, owners, mask);
        }

        int get(long key) {
            for (int i = slot(key, mask); ; i = (i + 1) & mask) {
                long k = keys[i];
                if (k == key) {
                    return owners[i];
                }
                if (k == 0) {
                    return -1;
                }
            }
        }

        private static int slot(long key, int mask) {
            return (int) SteeringHash.mix64(key) & mask;
        }
    }
}
