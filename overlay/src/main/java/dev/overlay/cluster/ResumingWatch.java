package dev.overlay.cluster;

import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A watch on one key prefix that never replays from zero and never misses a change. Every
 * (re)start names the revision after the last one handled: jetcd itself resumes that way after
 * a broken stream, and when jetcd gives up on a watcher (a member without a leader, a cancelled
 * stream) this class creates it again from the same place. Only when etcd has compacted that
 * revision away does it read the whole prefix again and hand the handler the full state to diff
 * against what it has (the informer pattern of Kubernetes' client-go).
 *
 * <p>Everything the handler sees runs on {@code executor}, one call at a time, in revision order.
 */
final class ResumingWatch implements AutoCloseable {

    /** One change: a put ({@code value} set) or a delete ({@code value} null). */
    record Change(String key, String value, long modRevision) {
    }

    interface Handler {
        /** Changes in revision order, all of one etcd revision or more. */
        void changes(List<Change> changes);

        /** The whole prefix at {@code range.revision()}, after history was compacted: replace, then diff. */
        void resync(Etcd.Range range);
    }

    private final Etcd etcd;
    private final String prefix;
    private final ScheduledExecutorService executor;
    private final Handler handler;
    /** The last revision handed to the handler (or read by a resync). Written on the executor. */
    private long revision;
    private volatile Watch.Watcher watcher;
    /** Bumped per watcher, so callbacks of one that was replaced are ignored. */
    private int epoch;
    private boolean compacted;
    private volatile boolean closed;
    final AtomicLong restarts = new AtomicLong();
    final AtomicLong resyncs = new AtomicLong();
    final AtomicLong changesSeen = new AtomicLong();

    ResumingWatch(Etcd etcd, String prefix, ScheduledExecutorService executor, Handler handler) {
        this.etcd = etcd;
        this.prefix = prefix;
        this.executor = executor;
        this.handler = handler;
    }

    /** Starts after {@code revision}, the revision of the read the handler's state came from. On the executor. */
    void start(long revision) {
        this.revision = revision;
        watchFrom(revision + 1);
    }

    long revision() {
        return revision;
    }

    private void watchFrom(long from) {
        if (closed) {
            return;
        }
        int mine = ++epoch;
        compacted = false;
        WatchOption option = WatchOption.builder().isPrefix(true).withRevision(from).withRequireLeader(true).build();
        watcher = etcd.client().getWatchClient().watch(Etcd.bytes(prefix), option, new Watch.Listener() {
            @Override
            public void onNext(WatchResponse response) {
                List<Change> changes = new ArrayList<>(response.getEvents().size());
                for (WatchEvent e : response.getEvents()) {
                    var kv = e.getKeyValue();
                    changes.add(new Change(kv.getKey().toString(StandardCharsets.UTF_8),
                            e.getEventType() == WatchEvent.EventType.DELETE ? null
                                    : kv.getValue().toString(StandardCharsets.UTF_8), kv.getModRevision()));
                }
                if (!changes.isEmpty()) {
                    executor.execute(() -> deliver(mine, changes));
                }
            }

            @Override
            public void onError(Throwable t) {
                if (t instanceof CompactedException) {
                    executor.execute(() -> {
                        if (mine == epoch) {
                            compacted = true;
                        }
                    });
                }
            }

            @Override
            public void onCompleted() {
                executor.execute(() -> ended(mine));
            }
        });
    }

    private void deliver(int mine, List<Change> changes) {
        if (closed || mine != epoch) {
            return;
        }
        // A resumed stream may repeat what a replaced one delivered: keep only what is newer.
        List<Change> fresh = new ArrayList<>(changes.size());
        for (Change c : changes) {
            if (c.modRevision() > revision) {
                fresh.add(c);
            }
        }
        if (fresh.isEmpty()) {
            return;
        }
        revision = fresh.getLast().modRevision();
        changesSeen.addAndGet(fresh.size());
        handler.changes(fresh);
    }

    /** jetcd gave the watcher up: start it again where it stopped, or resync if that is gone. */
    private void ended(int mine) {
        if (closed || mine != epoch) {
            return;
        }
        if (compacted) {
            resync();
        } else {
            restarts.incrementAndGet();
            executor.schedule(() -> {
                if (mine == epoch) {
                    watchFrom(revision + 1);
                }
            }, 500, TimeUnit.MILLISECONDS);
        }
    }

    private void resync() {
        if (closed) {
            return;
        }
        int mine = ++epoch;
        etcd.range(prefix, 0).whenCompleteAsync((range, error) -> {
            if (closed || mine != epoch) {
                return;
            }
            if (error != null) {
                executor.schedule(this::resync, 1, TimeUnit.SECONDS);
                return;
            }
            resyncs.incrementAndGet();
            revision = range.revision();
            handler.resync(range);
            watchFrom(revision + 1);
        }, executor);
    }

    @Override
    public void close() {
        closed = true;
        Watch.Watcher w = watcher;
        if (w != null) {
            w.close();
        }
    }
}
