package dev.overlay.cluster;

import dev.overlay.config.ClusterConfig;
import dev.overlay.esp.EspAlgorithm;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The etcd load of cluster mode, measured at a size this machine can hold and written down so it
 * can be extrapolated (README, "Cluster mode", scale): a 3-member etcd on loopback (LocalEtcd),
 * G simulated gateways writing exactly what the agent writes (member records with real X25519
 * keys, id claims, one FDB announcement per gateway and tenant with M MACs, pairwise acks, a
 * rollover), and W of them watching what an agent watches (members/ and fdb/, each on its own
 * client connection). Reports writes per second, watch events per second, the latency from a put
 * to its event at every watcher, etcd's database size and its members' resident memory.
 *
 * <p>Not a unit test (no assertion; it takes a minute or more): {@code bin/bench-cluster} runs it,
 * as bin/bench runs the JMH suites. In this package because it writes the agent's own records.
 *
 * <pre>
 * bin/bench-cluster [--gateways 100] [--tenants 100] [--macs 50] [--watchers 20] [--churn-seconds 20]
 *                   [--churn-rate 500]
 * bin/bench-cluster --plan-peers 999 --tenants 100     one agent's planning and reload cost, no etcd
 * </pre>
 */
public final class ClusterScaleSimulation {
    private final int gateways;
    private final int tenants;
    private final int macs;
    private final int watchers;
    private final int churnSeconds;
    private final int churnRate;
    private final String prefix = "/overlay/scale";
    private final ClusterKeys keys = new ClusterKeys(prefix);
    /** The time each key was last put (nanoTime): a watcher's event for it gives the latency. */
    private final Map<String, Long> putAt = new ConcurrentHashMap<>();
    private final AtomicLong events = new AtomicLong();
    private final AtomicLong eventBytes = new AtomicLong();
    private final List<Long> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
    private volatile boolean measuring;
    private final Semaphore inFlight = new Semaphore(256);

    private ClusterScaleSimulation(int gateways, int tenants, int macs, int watchers, int churnSeconds, int churnRate) {
        this.gateways = gateways;
        this.tenants = tenants;
        this.macs = macs;
        this.watchers = watchers;
        this.churnSeconds = churnSeconds;
        this.churnRate = churnRate;
    }

    public static void main(String[] args) throws Exception {
        Map<String, Integer> o = new TreeMap<>(Map.of("--gateways", 100, "--tenants", 100, "--macs", 50,
                "--watchers", 20, "--churn-seconds", 20, "--churn-rate", 500, "--plan-peers", 0));
        for (int i = 0; i < args.length; i += 2) {
            if (!o.containsKey(args[i]) || i + 1 >= args.length) {
                System.err.println("bench-cluster: unknown option " + args[i] + " (expected one of " + o.keySet() + " N)");
                System.exit(2);
            }
            o.put(args[i], Integer.parseInt(args[i + 1]));
        }
        if (o.get("--plan-peers") > 0) {
            planCost(o.get("--plan-peers"), o.get("--tenants"));
            System.exit(0);
        }
        new ClusterScaleSimulation(o.get("--gateways"), o.get("--tenants"), o.get("--macs"), o.get("--watchers"),
                o.get("--churn-seconds"), o.get("--churn-rate")).run();
        System.exit(0);
    }

    private void run() throws Exception {
        Path dir = Files.createTempDirectory("cluster-scale-");
        try (LocalEtcd etcd = LocalEtcd.start(dir, 3, Duration.ofSeconds(60))) {
            ClusterConfig config = new ClusterConfig(etcd.endpoints().stream().map(URI::create).toList(), prefix,
                    Optional.empty(), null, EspAlgorithm.AES_GCM_256, 0, 30, 60);
            List<Etcd> clients = new ArrayList<>();
            ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
            try (Etcd writer = new Etcd(config, Duration.ofMinutes(2))) {
                System.out.printf(Locale.ROOT, "simulating %d gateways x %d tenants x %d MACs, %d of them watching "
                        + "(3-member etcd %s on %d cores)%n", gateways, tenants, macs, watchers, etcdVersion(),
                        Runtime.getRuntime().availableProcessors());
                for (int w = 0; w < watchers; w++) {
                    Etcd client = new Etcd(config, Duration.ofMinutes(2));
                    clients.add(client);
                    long start = client.range(prefix + "/", 0).get().revision();
                    for (String p : List.of(keys.members(), keys.fdb())) {
                        ResumingWatch watch = new ResumingWatch(client, p, executor, new ResumingWatch.Handler() {
                            @Override
                            public void changes(List<ResumingWatch.Change> changes) {
                                long now = System.nanoTime();
                                for (ResumingWatch.Change c : changes) {
                                    events.incrementAndGet();
                                    eventBytes.addAndGet(c.key().length() + (c.value() == null ? 0 : c.value().length()));
                                    Long at = putAt.get(c.key());
                                    if (measuring && at != null) {
                                        latencies.add(now - at);
                                    }
                                }
                            }

                            @Override
                            public void resync(Etcd.Range range) {
                            }
                        });
                        executor.submit(() -> watch.start(start)).get();
                    }
                }
                long[] leases = new long[gateways];
                phase("register (lease, id, member record)", gateways * 3, gateways, () -> {
                    List<CompletableFuture<?>> all = new ArrayList<>();
                    for (int g = 0; g < gateways; g++) {
                        int gw = g;
                        all.add(writer.grant(3600).thenCompose(l -> {
                            leases[gw] = l;
                            // Not put(): its semaphore must never block a client thread running this callback.
                            String key = keys.member(name(gw));
                            String record = member(gw, 1);
                            return writer.create(keys.id(gw + 1), name(gw), l).thenCompose(x -> {
                                putAt.put(key, System.nanoTime());
                                return writer.put(key, record, l);
                            });
                        }));
                    }
                    return all;
                });
                phase("announce FDB (one key per gateway and tenant)", gateways * tenants, gateways * tenants, () -> {
                    List<CompletableFuture<?>> all = new ArrayList<>();
                    for (int g = 0; g < gateways; g++) {
                        for (int t = 0; t < tenants; t++) {
                            all.add(put(writer, keys.fdb(tenant(t), name(g)), Records.write(announcement(g, t, 0)), leases[g]));
                        }
                    }
                    return all;
                });
                phase("acks (every pair; each watched by its sender alone)", gateways * (gateways - 1), 0, () -> {
                    List<CompletableFuture<?>> all = new ArrayList<>();
                    for (int a = 0; a < gateways; a++) {
                        for (int b = 0; b < gateways; b++) {
                            if (a != b) {
                                all.add(put(writer, keys.ack(name(a), name(b)),
                                        new Records.Ack(1000 + a, key16(a), key16(b)).text(), leases[b]));
                            }
                        }
                    }
                    return all;
                });
                churn(writer, leases);
                phase("rollover (every gateway publishes generation 2)", gateways, gateways, () -> {
                    List<CompletableFuture<?>> all = new ArrayList<>();
                    for (int g = 0; g < gateways; g++) {
                        all.add(put(writer, keys.member(name(g)), member(g, 2), leases[g]));
                    }
                    return all;
                });
                Thread.sleep(2000);
                report(etcd);
            } finally {
                clients.forEach(Etcd::close);
                executor.shutdownNow();
            }
        }
    }

    /** Runs one burst of writes as fast as 256 in flight allow; prints writes/s and the events it caused. */
    private void phase(String what, int writes, int watched, Supplier<List<CompletableFuture<?>>> burst) throws Exception {
        long eventsBefore = events.get();
        latencies.clear();
        measuring = true;
        long start = System.nanoTime();
        CompletableFuture.allOf(burst.get().toArray(CompletableFuture[]::new)).get(10, TimeUnit.MINUTES);
        double seconds = (System.nanoTime() - start) / 1e9;
        long expected = (long) watched * watchers;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (events.get() - eventsBefore < expected && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        double all = (System.nanoTime() - start) / 1e9;
        measuring = false;
        System.out.printf(Locale.ROOT, "%-48s %8d writes in %6.2f s = %8.0f writes/s; %9d watch events in %6.2f s = %9.0f events/s%s%n",
                what, writes, seconds, writes / seconds, events.get() - eventsBefore, all, (events.get() - eventsBefore) / all,
                latency());
    }

    /** MACs come and go: each change rewrites one announcement, at {@code churnRate} per second. */
    private void churn(Etcd writer, long[] leases) throws Exception {
        if (churnSeconds == 0) {
            return;
        }
        Random random = new Random(13);
        long eventsBefore = events.get();
        latencies.clear();
        measuring = true;
        long start = System.nanoTime();
        long n = 0;
        List<CompletableFuture<?>> all = new ArrayList<>();
        while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(churnSeconds)) {
            int g = random.nextInt(gateways);
            int t = random.nextInt(tenants);
            all.add(put(writer, keys.fdb(tenant(t), name(g)), Records.write(announcement(g, t, (int) ++n)), leases[g]));
            long wait = start + TimeUnit.SECONDS.toNanos(1) * n / churnRate - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
        double seconds = (System.nanoTime() - start) / 1e9;
        Thread.sleep(1000);
        measuring = false;
        System.out.printf(Locale.ROOT, "%-48s %8d writes in %6.2f s = %8.0f writes/s; %9d watch events = %9.0f events/s%s%n",
                "MAC churn (announcement rewritten per change)", n, seconds, n / seconds, events.get() - eventsBefore,
                (events.get() - eventsBefore) / seconds, latency());
    }

    private CompletableFuture<Long> put(Etcd etcd, String key, String value, long lease) {
        inFlight.acquireUninterruptibly();
        putAt.put(key, System.nanoTime());
        return etcd.put(key, value, lease).whenComplete((r, e) -> inFlight.release());
    }

    private String latency() {
        long[] l;
        synchronized (latencies) {
            l = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        }
        if (l.length == 0) {
            return "";
        }
        return String.format(Locale.ROOT, "; put->event p50 %.1f ms, p99 %.1f ms, max %.1f ms", l[l.length / 2] / 1e6,
                l[(int) (l.length * 0.99)] / 1e6, l[l.length - 1] / 1e6);
    }

    private void report(LocalEtcd etcd) throws IOException, InterruptedException {
        String status = etcdctl(etcd, "endpoint", "status", "-w", "json");
        long db = number(status, "dbSize");
        long revision = number(status, "revision");
        long keyCount = (long) gateways * (2 + tenants + gateways - 1);
        long rss = 0;
        for (int i = 0; i < etcd.size(); i++) {
            rss = Math.max(rss, etcd.rssKb(i));
        }
        System.out.printf(Locale.ROOT, "etcd: %d keys, database %.1f MB with all %d revisions (%.0f bytes per key), "
                        + "largest member RSS %.0f MB; watch traffic %.1f MB in total%n",
                keyCount, db / 1e6, revision, (double) db / keyCount, rss / 1024.0, eventBytes.get() / 1e6);
        // What a deployment with auto-compaction keeps: the live keys alone.
        String compacted = etcdctl(etcd, "compaction", Long.toString(revision)).strip();
        String defragmented = etcdctl(etcd, "defrag", "--cluster").strip();
        if (!compacted.startsWith("compacted") || !defragmented.contains("Finished")) {
            System.out.println("etcdctl compaction: " + compacted + "; defrag: " + defragmented);
        }
        long live = number(etcdctl(etcd, "endpoint", "status", "-w", "json"), "dbSize");
        System.out.printf(Locale.ROOT, "etcd after compaction and defrag: database %.1f MB (%.0f bytes per key)%n",
                live / 1e6, (double) live / keyCount);
        System.out.printf(Locale.ROOT, "value sizes: member record %d B, FDB announcement (%d MACs) %d B, ack %d B%n",
                member(0, 1).length(), macs, Records.write(announcement(0, 0, 0)).length(),
                new Records.Ack(1000, key16(0), key16(1)).text().length());
    }

    private static String etcdctl(LocalEtcd etcd, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/etcdctl", "--command-timeout=60s", "--endpoints",
                String.join(",", etcd.endpoints())));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(120, TimeUnit.SECONDS);
        return out;
    }

    /** The largest value of {@code "key":N} in etcdctl's JSON (the members agree but for timing). */
    private static long number(String json, String key) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"" + key + "\":(\\d+)").matcher(json);
        long max = -1;
        while (m.find()) {
            max = Math.max(max, Long.parseLong(m.group(1)));
        }
        return max;
    }

    /**
     * What one gateway's agent and reload cost at a cluster size, without etcd: the effective
     * config for {@code members} peers sharing all {@code tenantCount} tenants (HKDF for every SA
     * the first time, cached after), and the datapath tables a reload builds from it.
     */
    static void planCost(int members, int tenantCount) throws Exception {
        StringBuilder yaml = new StringBuilder("gateway:\n  name: gw-0000\n  address: 10.0.0.1\n  workers: 2\n"
                + "  cluster: { etcd: [http://127.0.0.1:2379], prefix: /overlay/scale }\ntenants:\n");
        for (int t = 0; t < tenantCount; t++) {
            yaml.append("  t").append(t).append(": { vni: ").append(1000 + t).append(" }\n");
        }
        dev.overlay.config.OverlayConfig file = dev.overlay.config.ConfigLoader.parse(Path.of("scale.yaml"),
                yaml.toString()).orThrow();
        Self self = new Self(file, KeySchedule.generate());
        self.id = 1;
        self.assignSlots(file);
        Map<String, Planner.Member> peers = new TreeMap<>();
        Map<String, Records.Ack> acks = new TreeMap<>();
        List<Records.TenantRecord> list = new ArrayList<>();
        for (int t = 0; t < tenantCount; t++) {
            list.add(new Records.TenantRecord("vxlan", 1000 + t, "esp", t));
            self.since.put(Records.TenantRecord.key("vxlan", 1000 + t), 1L);
        }
        for (int g = 1; g <= members; g++) {
            byte[] pub = KeySchedule.publicBytes(KeySchedule.generate().getPublic());
            String name = String.format("gw-%04d", g);
            String address = "10.%d.%d.%d".formatted(1 + (g >> 16 & 255), g >> 8 & 255, g & 255);
            peers.put(name, new Planner.Member(new Records.MemberRecord(name, address, g + 1,
                    HexFormat.of().formatHex(pub), "none", "aes-gcm-256", 1, list), 10));
            acks.put(name, new Records.Ack(10, self.publicKeyId(), Records.publicKeyId(HexFormat.of().formatHex(pub))));
        }
        Planner planner = new Planner(self);
        SequenceHistory history = new SequenceHistory();
        long t0 = System.nanoTime();
        Planner.Plan plan = planner.plan(file, peers, acks, history);
        long t1 = System.nanoTime();
        Planner.Plan again = planner.plan(file, peers, acks, history);
        long t2 = System.nanoTime();
        boolean equal = again.config().equals(plan.config());
        long t3 = System.nanoTime();
        dev.overlay.datapath.Topology topology = dev.overlay.datapath.Topology.of(plan.config());
        dev.overlay.datapath.SaTable sas = dev.overlay.datapath.SaTable.of(topology, true);
        long t4 = System.nanoTime();
        System.out.printf(Locale.ROOT, "one gateway, %d peers x %d tenants: %d SAs; first plan %.2f s (X25519 and HKDF "
                        + "for each), again %.2f s, comparing the two %.2f s (%s); the datapath tables of a reload %.2f s%n",
                members, tenantCount, plan.config().securityAssociations().size(), (t1 - t0) / 1e9, (t2 - t1) / 1e9,
                (t3 - t2) / 1e9, equal ? "equal" : "differ", (t4 - t3) / 1e9);
        sas.close();
    }

    private static String etcdVersion() {
        try {
            Process p = new ProcessBuilder(LocalEtcd.ETCD.toString(), "--version").start();
            String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().findFirst().orElse("");
            return v.replace("etcd Version: ", "");
        } catch (IOException e) {
            return "?";
        }
    }

    private static String name(int g) {
        return String.format("gw-%04d", g);
    }

    private static String tenant(int t) {
        return Records.TenantRecord.key("vxlan", 1000 + t);
    }

    private static String key16(int g) {
        return String.format("%016x", 0x5eed0000L + g);
    }

    private String member(int g, long generation) {
        List<Records.TenantRecord> list = new ArrayList<>();
        for (int t = 0; t < tenants; t++) {
            list.add(new Records.TenantRecord("vxlan", 1000 + t, "esp", t));
        }
        byte[] pub = KeySchedule.publicBytes(KeySchedule.generate().getPublic());
        return Records.write(new Records.MemberRecord(name(g), "10.%d.%d.%d".formatted(g >> 16 & 255, g >> 8 & 255, g & 255),
                g + 1, HexFormat.of().formatHex(pub), "none", "aes-gcm-256", generation, list));
    }

    /** {@code macs} MACs behind gateway g for tenant t; {@code change} moves one of them to a new MAC. */
    private Map<String, Long> announcement(int g, int t, int change) {
        Map<String, Long> m = new TreeMap<>();
        for (int i = 0; i < macs; i++) {
            int host = i == 0 ? change : i;
            byte[] mac = {0x02, (byte) (g >> 8), (byte) g, (byte) t, (byte) (host >> 8), (byte) host};
            m.put(HexFormat.ofDelimiter(":").formatHex(mac), 0L);
        }
        return m;
    }

    @Override
    public String toString() {
        return "ClusterScaleSimulation" + Arrays.asList(gateways, tenants, macs, watchers);
    }
}
