package dev.overlay.cluster;

import dev.overlay.gateway.EventLog;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What etcd says, as last read: the members' records, the acks addressed to this gateway, the
 * FDB announcements (kept by {@link FdbSync}) and the rekey key. Fed by the agent's watches,
 * change by change or, after a compaction, a whole prefix at once; every record is checked on
 * the way in ({@link Records}), and one that fails is left out and logged. Agent thread only.
 */
final class ClusterView {

    interface Listener {
        /** Our own record went away while our lease lives (someone deleted it): put it back. */
        void ownRecordGone();

        /** {@code PREFIX/rekey} changed after we started. */
        void rekeyRequested(long revision);
    }

    private final ClusterKeys keys;
    private final String self;
    private final EventLog log;
    private final Listener listener;
    final Map<String, Planner.Member> members = new HashMap<>();
    final Map<String, Records.Ack> acks = new HashMap<>();
    final FdbSync fdb;
    /** The highest revision of the rekey key seen; changes at or below it are old news. */
    private long rekeySeen = -1;

    ClusterView(ClusterKeys keys, String self, EventLog log, Listener listener) {
        this.keys = keys;
        this.self = self;
        this.log = log;
        this.listener = listener;
        this.fdb = new FdbSync(self);
    }

    void memberChanges(List<ResumingWatch.Change> changes) {
        changes.forEach(c -> member(c.key(), c.value(), c.modRevision()));
    }

    void membersResync(Etcd.Range range) {
        boolean hadSelf = members.containsKey(self);
        members.clear();
        range.entries().forEach(e -> member(e.key(), e.value(), e.modRevision()));
        if (hadSelf && !members.containsKey(self)) {
            listener.ownRecordGone();
        }
    }

    private void member(String key, String value, long revision) {
        String name = ClusterKeys.leaf(key, keys.members());
        if (name == null) {
            return;
        }
        if (value == null) {
            if (members.remove(name) != null && name.equals(self)) {
                listener.ownRecordGone();
            }
            return;
        }
        try {
            members.put(name, new Planner.Member(Records.member(value, name), revision));
        } catch (IllegalArgumentException e) {
            members.remove(name);
            log.warning("cluster-record-ignored", "key", key, "reason", e.getMessage());
        }
    }

    void fdbChanges(List<ResumingWatch.Change> changes) {
        changes.forEach(c -> announcement(c.key(), c.value()));
    }

    void fdbResync(Etcd.Range range) {
        fdb.clear();
        range.entries().forEach(e -> announcement(e.key(), e.value()));
    }

    private void announcement(String key, String value) {
        String[] parts = keys.fdbParts(key);
        if (parts == null) {
            return;
        }
        if (value == null) {
            fdb.announced(parts[0], parts[1], null);
            return;
        }
        try {
            fdb.announced(parts[0], parts[1], Records.macs(value));
        } catch (IllegalArgumentException e) {
            fdb.announced(parts[0], parts[1], null);
            log.warning("cluster-record-ignored", "key", key, "reason", e.getMessage());
        }
    }

    void ackChanges(List<ResumingWatch.Change> changes) {
        changes.forEach(c -> ack(c.key(), c.value()));
    }

    void acksResync(Etcd.Range range) {
        acks.clear();
        range.entries().forEach(e -> ack(e.key(), e.value()));
    }

    private void ack(String key, String value) {
        String receiver = ClusterKeys.leaf(key, keys.acksTo(self));
        if (receiver == null) {
            return;
        }
        if (value == null) {
            acks.remove(receiver);
            return;
        }
        try {
            acks.put(receiver, Records.Ack.parse(value));
        } catch (IllegalArgumentException e) {
            acks.remove(receiver);
            log.warning("cluster-record-ignored", "key", key, "reason", e.getMessage());
        }
    }

    void rekeyChanges(List<ResumingWatch.Change> changes) {
        for (ResumingWatch.Change c : changes) {
            if (c.value() != null && c.modRevision() > rekeySeen) {
                rekeySeen = c.modRevision();
                listener.rekeyRequested(c.modRevision());
            }
        }
    }

    /** {@code first}: the read at start, which only sets where "new" begins. */
    void rekeyResync(Etcd.Range range, boolean first) {
        for (Etcd.Entry e : range.entries()) {
            if (e.key().equals(keys.rekey())) {
                if (!first && e.modRevision() > rekeySeen) {
                    listener.rekeyRequested(e.modRevision());
                }
                rekeySeen = Math.max(rekeySeen, e.modRevision());
            }
        }
        rekeySeen = Math.max(rekeySeen, range.revision());
    }
}
