package dev.overlay.gateway;

import dev.overlay.esp.OutboundSaState;
import dev.overlay.esp.SecurityAssociation;
import dev.overlay.esp.SequenceReserve;
import dev.overlay.gateway.port.PortException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Outbound sequence numbers that survive a restart: {@code <state-dir>/<gateway>.seq}, one line
 * per outbound SA, {@code spi direction key-fingerprint sequence}, where {@code sequence} is the
 * highest number the SA may have sent; the next run starts after it. Reserve ahead, persist
 * before use (the rule of static-key systems): an SA sends only below a reservation already on
 * stable storage, and its owner worker asks this store's thread for the next {@link #step} when
 * half of it is left, off the hot path. After a crash the next run skips what the crashed run
 * may have used; after a graceful stop the exact last number is written and nothing is skipped.
 *
 * <p>The fingerprint is a truncated SHA-256 of the key material under a fixed domain prefix: a
 * new key under the same SPI starts fresh, and the file never holds key bytes. Writes are atomic
 * (temporary file, fsync, rename, fsync of the directory): a crash leaves the old file or the
 * new one, never a torn one, so a reservation once granted is never lost.
 */
final class SequenceStore implements SequenceReserve, AutoCloseable {
    /** Packets per extension: ~1 s at 1 Mpps, so a restart skips at most 2^20 numbers of 2^32. */
    static final long DEFAULT_STEP = 1L << 20;
    private static final byte[] DOMAIN = "overlay/sequence-store/v1 key fingerprint\0".getBytes(StandardCharsets.US_ASCII);

    /** One line's identity: the same SPI with another key is another SA. */
    record Key(int spi, String direction, String fingerprint) {}

    private final Path file;
    private final String gateway;
    private final long step;
    private final EventLog log;
    private final Set<OutboundSaState> pending = ConcurrentHashMap.newKeySet();
    private final ExecutorService thread;
    // Guarded by this: the lines read at open, the SAs adopted since, and what the file holds for them.
    private Map<Key, Long> previousRun = Map.of();
    private final Map<OutboundSaState, Key> live = new IdentityHashMap<>();
    private final Map<Key, Long> reserved = new LinkedHashMap<>();

    SequenceStore(Path dir, String gateway, long step, EventLog log) {
        this.file = dir.resolve(gateway + ".seq");
        this.gateway = gateway;
        this.step = step;
        this.log = log;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "overlay-" + gateway + "-seq");
            t.setDaemon(true);
            return t;
        });
    }

    Path file() {
        return file;
    }

    /** Reads what the previous run left; a file that cannot be parsed refuses the start (guessing could reuse nonces). */
    synchronized void open() throws PortException {
        if (!Files.exists(file)) {
            return;
        }
        Map<Key, Long> read = new LinkedHashMap<>();
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.split("\\s+");
                try {
                    if (f.length != 4 || !f[0].startsWith("0x") || !f[2].matches("[0-9a-f]{32}")) {
                        throw new IllegalArgumentException("expected: spi direction key-fingerprint sequence");
                    }
                    read.put(new Key(Integer.parseUnsignedInt(f[0].substring(2), 16), f[1], f[2]),
                            Long.parseUnsignedLong(f[3]));
                } catch (IllegalArgumentException e) {
                    throw new PortException("state-dir: " + file + " line " + (i + 1) + " is not a sequence record ("
                            + e.getMessage() + "); fix or remove it only if every SA in it is rolled over");
                }
            }
        } catch (IOException e) {
            throw new PortException("state-dir: cannot read " + file + ": " + e.getMessage(), e);
        }
        previousRun = read;
    }

    /**
     * Puts every state of {@code states} not seen before under a reservation, starting after what
     * the previous run may have used, and forgets states no longer listed (SAs removed by a
     * reload). The file is on disk before this returns, so call it before the states are used.
     */
    synchronized void adopt(List<OutboundSaState> states) throws IOException {
        Set<OutboundSaState> current = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        current.addAll(states);
        live.keySet().removeIf(s -> {
            if (!current.contains(s)) {
                reserved.remove(live.get(s));
                return true;
            }
            return false;
        });
        Map<OutboundSaState, long[]> fresh = new IdentityHashMap<>();
        for (OutboundSaState s : states) {
            if (live.containsKey(s)) {
                continue;
            }
            Key key = key(s.association());
            Long before = previousRun.get(key);
            long floor = before == null || Long.compareUnsigned(before, s.sequence()) < 0 ? s.sequence() : before;
            long granted = plusStep(floor, s.lastSequence());
            live.put(s, key);
            reserved.put(key, granted);
            fresh.put(s, new long[] {floor, granted});
            if (before != null) {
                log.info("sequence-resumed", "spi", String.format("0x%08x", s.spi()), "after", Long.toUnsignedString(floor));
            }
        }
        try {
            write();
        } catch (IOException e) {
            fresh.keySet().forEach(s -> reserved.remove(live.remove(s))); // refused: as if never adopted
            throw e;
        }
        fresh.forEach((s, fg) -> s.reserve(this, step, fg[0], fg[1]));
    }

    /** From an owner worker: never blocks; one extension in flight per SA however often asked. */
    @Override
    public void request(OutboundSaState sa) {
        if (pending.add(sa)) {
            try {
                thread.execute(() -> extend(sa));
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                pending.remove(sa); // closing: the SA's drops are counted, nothing is sent unreserved
            }
        }
    }

    private void extend(OutboundSaState sa) {
        synchronized (this) {
            Key key = live.get(sa);
            if (key == null) {
                pending.remove(sa); // removed by a reload meanwhile
                return;
            }
            long before = reserved.get(key);
            long next = plusStep(before, sa.lastSequence());
            reserved.put(key, next);
            try {
                write();
            } catch (IOException e) {
                reserved.put(key, before);
                log.warning("sequence-store-failed", "file", file, "error", e.getMessage());
                pause(); // the SA drops (sequence-reserve) and asks again; retry at most once a second
                pending.remove(sa);
                return;
            }
            // Removed before the grant: a request after this sees either the new grant or schedules another.
            pending.remove(sa);
            sa.grant(next);
        }
    }

    /**
     * Stops the thread; with {@code exact} (every worker has stopped, so no SA seals any more)
     * writes each SA's last sequence number instead of its reservation, so a clean restart
     * skips nothing.
     */
    void close(boolean exact) {
        thread.shutdown();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        synchronized (this) {
            if (!exact || live.isEmpty()) {
                return;
            }
            live.forEach((s, key) -> reserved.put(key, s.sequence()));
            try {
                write();
            } catch (IOException e) {
                // The reservations already on disk stay valid: the next run skips a little more.
                log.warning("sequence-store-failed", "file", file, "error", e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        close(false);
    }

    private long plusStep(long from, long last) {
        long to = from + step;
        return Long.compareUnsigned(to, last) > 0 || Long.compareUnsigned(to, from) < 0 ? last : to;
    }

    private void write() throws IOException {
        StringBuilder sb = new StringBuilder(64 + 64 * reserved.size());
        sb.append("# overlay outbound sequence numbers of gateway ").append(gateway)
                .append(": spi direction key-fingerprint sequence\n")
                .append("# sequence: the highest number the SA may have sent; the next run starts after it\n");
        reserved.forEach((k, v) -> sb.append(String.format("0x%08x", k.spi())).append(' ').append(k.direction())
                .append(' ').append(k.fingerprint()).append(' ').append(Long.toUnsignedString(v)).append('\n'));
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try (FileChannel ch = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            ByteBuffer bytes = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.US_ASCII));
            while (bytes.hasRemaining()) {
                ch.write(bytes);
            }
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        // The rename is durable only once the directory entry is (rename(2) then fsync of the directory).
        try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        }
    }

    private static void pause() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static Key key(SecurityAssociation sa) {
        return new Key(sa.spi(), sa.direction() == SecurityAssociation.Direction.OUT ? "out" : "in", fingerprint(sa));
    }

    /**
     * SHA-256 over a fixed domain prefix, the algorithm and the key material, truncated to 128
     * bits: identifies the key without disclosing it (a preimage of SHA-256 is out of reach for
     * keys of 128 bits and more), and cannot collide with a hash of the same key made elsewhere.
     */
    static String fingerprint(SecurityAssociation sa) {
        byte[] key = sa.key();
        byte[] integrityKey = sa.integrityKey();
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(DOMAIN);
            sha.update(sa.algorithm().configName().getBytes(StandardCharsets.US_ASCII));
            sha.update((byte) 0);
            sha.update(key);
            if (integrityKey != null) {
                sha.update((byte) 1);
                sha.update(integrityKey);
            }
            return HexFormat.of().formatHex(sha.digest(), 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from the JDK", e);
        } finally {
            Arrays.fill(key, (byte) 0);
            if (integrityKey != null) {
                Arrays.fill(integrityKey, (byte) 0);
            }
        }
    }
}
