package dev.overlay.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * jetcd 0.8 is built on vert.x 4.5 and grpc-netty for Netty 4.1, while this project pins Netty
 * 4.2 (netty-bom): the combination must work at run time, not only resolve. A put, a get, a
 * prefix watch and a lease that expires, against a real etcd.
 */
class JetcdOnNetty42Test {

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    @Test
    void putGetWatchAndLeaseWorkAgainstARealEtcd() throws Exception {
        try (LocalEtcd etcd = LocalEtcd.start(Files.createTempDirectory("jetcd-"), 1, Duration.ofSeconds(30));
             Client client = Client.builder().endpoints(etcd.endpoints().toArray(String[]::new)).build()) {
            LinkedBlockingQueue<WatchEvent> events = new LinkedBlockingQueue<>();
            // watch() returns before etcd has registered the watch: one opened at the current
            // revision could miss a put made right after. From the next revision, it cannot.
            long next = client.getKVClient().get(bytes("/t/")).get(10, TimeUnit.SECONDS).getHeader().getRevision() + 1;
            try (Watch.Watcher w = client.getWatchClient().watch(bytes("/t/"),
                    WatchOption.builder().isPrefix(true).withRevision(next).build(), r -> events.addAll(r.getEvents()))) {
                client.getKVClient().put(bytes("/t/a"), bytes("1")).get(10, TimeUnit.SECONDS);
                var got = client.getKVClient().get(bytes("/t/a")).get(10, TimeUnit.SECONDS);
                assertEquals("1", got.getKvs().get(0).getValue().toString(StandardCharsets.UTF_8));
                WatchEvent put = events.poll(10, TimeUnit.SECONDS);
                assertEquals(WatchEvent.EventType.PUT, put.getEventType());

                long lease = client.getLeaseClient().grant(1).get(10, TimeUnit.SECONDS).getID();
                client.getKVClient().put(bytes("/t/leased"), bytes("x"), PutOption.builder().withLeaseId(lease).build())
                        .get(10, TimeUnit.SECONDS);
                assertEquals(WatchEvent.EventType.PUT, events.poll(10, TimeUnit.SECONDS).getEventType());
                WatchEvent expired = events.poll(10, TimeUnit.SECONDS);
                assertEquals(WatchEvent.EventType.DELETE, expired.getEventType());
                assertEquals("/t/leased", expired.getKeyValue().getKey().toString(StandardCharsets.UTF_8));
                assertTrue(client.getKVClient().get(bytes("/t/leased")).get(10, TimeUnit.SECONDS).getKvs().isEmpty());
            }
        }
    }
}
