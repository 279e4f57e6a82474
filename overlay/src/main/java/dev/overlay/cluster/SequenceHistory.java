package dev.overlay.cluster;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The sequence numbers of derived SAs this process removed, by a fingerprint of their key, so
 * that an SA derived again with the same key (a peer that left and came back with the same key
 * pair and generation, a tenant removed and added back) carries on where it stopped instead of
 * starting at 1: for AES-GCM and ChaCha20-Poly1305 the sequence number is the nonce, and a
 * (key, nonce) pair must never repeat. Outbound SAs resume past a margin, because packets
 * already queued on the removed state may still be sealed with it after its number was read.
 * Inbound SAs resume their replay window at the highest number seen, so old packets stay replays.
 */
final class SequenceHistory {
    /** More than any worker queue can hold of packets already steered to a replaced state. */
    static final long OUTBOUND_MARGIN = 1 << 16;
    /** A bound on memory: one entry is a few dozen bytes; the oldest go first. */
    static final int MAX_ENTRIES = 200_000;

    /** One removed SA: its last number, and what tells when it can never be derived again. */
    record Entry(long sequence, String peer, String peerKey, long generation, boolean outbound) {
    }

    private final Map<String, Entry> entries = new LinkedHashMap<>();

    /** The fingerprint of a key for one direction: truncated SHA-256, never the key. */
    static String fingerprint(boolean outbound, byte[] key) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update((byte) (outbound ? 'o' : 'i'));
            d.update(key);
            return HexFormat.of().formatHex(d.digest(), 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256", e);
        }
    }

    void removed(String fingerprint, Entry entry) {
        Entry old = entries.remove(fingerprint);
        long seq = old == null ? entry.sequence() : Math.max(old.sequence(), entry.sequence());
        entries.put(fingerprint, new Entry(seq, entry.peer(), entry.peerKey(), entry.generation(), entry.outbound()));
        while (entries.size() > MAX_ENTRIES) {
            Iterator<String> it = entries.keySet().iterator();
            it.next();
            it.remove();
        }
    }

    /** The initial-sequence for an SA with this key: 0 when it is new. */
    long initialSequence(String fingerprint) {
        Entry e = entries.get(fingerprint);
        if (e == null) {
            return 0;
        }
        return e.outbound() ? e.sequence() + OUTBOUND_MARGIN : e.sequence();
    }

    /** Forgets entries that can never be derived again (their generation or their peer's key passed). */
    void prune(Predicate<Entry> obsolete) {
        entries.values().removeIf(obsolete);
    }

    int size() {
        return entries.size();
    }
}
