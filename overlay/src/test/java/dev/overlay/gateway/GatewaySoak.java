package dev.overlay.gateway;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The soak ({@code bin/soak}, SOAK.md): two gateways with mixed traffic for minutes, reloaded on a
 * schedule, watched for memory, threads, loss and buffer leaks.
 *
 * <ul>
 *   <li>traffic: blue (ESP, VXLAN) a->b, red (ESP, Geneve) b->a, green (cleartext Geneve) a->b,
 *       each at a fixed rate; amber (ESP, VXLAN) a->b while it exists</li>
 *   <li>every period: blue's SA is rolled over (gw-b adds the new inbound SA, gw-a switches to it,
 *       gw-b removes the old one, as README's rekeying says); half a period later amber is added
 *       to both gateways or removed from both, in turn</li>
 *   <li>every 10 s a sample: resident memory (VmRSS), the gateways' threads, frames sent and lost</li>
 * </ul>
 *
 * It fails when resident memory after the warm-up grows past 10 % of its value at the end of the
 * warm-up, when the gateways' threads grow, when an untouched tenant (red, green) loses a frame,
 * or when Netty reports a leak. Not a JUnit test, so no CI run pays its minutes;
 * {@link GatewaySoakTest} runs it briefly in every build so it cannot rot.
 */
final class GatewaySoak {
    record Sample(long seconds, long rssKib, int threads, Map<String, Long> lost, boolean amber, String drops) {}

    record Result(List<Sample> samples, long rssAtWarmupKib, long rssMaxAfterWarmupKib, int threadsAtWarmup,
                  int threadsMaxAfterWarmup, Map<String, Long> sent, Map<String, Long> lost, long leaks, int reloads,
                  List<String> failures) {
        boolean passed() {
            return failures.isEmpty();
        }
    }

    private GatewaySoak() {}

    public static void main(String[] args) throws Exception {
        Duration duration = Duration.ofMinutes(10);
        Duration period = Duration.ofSeconds(30);
        Duration warmup = Duration.ofSeconds(60);
        int rate = 1000;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--minutes" -> duration = Duration.ofSeconds((long) (Double.parseDouble(args[++i]) * 60));
                case "--reload-seconds" -> period = Duration.ofSeconds(Long.parseLong(args[++i]));
                case "--warmup-seconds" -> warmup = Duration.ofSeconds(Long.parseLong(args[++i]));
                case "--rate" -> rate = Integer.parseInt(args[++i]);
                default -> {
                    System.err.println("soak: unknown option " + args[i]
                            + " (expected: --minutes N --reload-seconds S --warmup-seconds S --rate FPS)");
                    System.exit(2);
                }
            }
        }
        Logger.getLogger("").setLevel(Level.WARNING); // the gateways' INFO events would drown the samples
        Path dir = Files.createTempDirectory("overlay-soak");
        Result r = run(dir, duration, period, warmup, rate, true);
        System.exit(r.passed() ? 0 : 1);
    }

    static Result run(Path dir, Duration duration, Duration period, Duration warmup, int rate, boolean print)
            throws Exception {
        LeakCounter leaks = new LeakCounter();
        GatewayLab lab = new GatewayLab(dir).tenant("blue", 1001, "vxlan", true).tenant("red", 1002, "geneve", true)
                .tenant("green", 1003, "geneve", false)
                .gcmPair("blue", 0x1001, TwoGateways.K_BLUE_AB, 0x2001, TwoGateways.K_BLUE_BA)
                .gcmPair("red", 0x1002, TwoGateways.K_RED_AB, 0x2002, TwoGateways.K_RED_BA);
        List<Sample> samples = new ArrayList<>();
        Map<String, GatewayLab.Stream> streams = new LinkedHashMap<>();
        int reloads = 0;
        try (leaks; lab) {
            lab.start();
            lab.end("amber", 0); // made once: the far ends outlive amber's comings and goings
            lab.end("amber", 1);
            // The receiving ends exist before the first frame is sent: a frame delivered to a
            // port nobody has bound yet would vanish (no ICMP error reaches an unconnected socket)
            // and read as a loss at the start of the run.
            for (String t : List.of("blue", "red", "green")) {
                lab.end(t, t.equals("red") ? 0 : 1);
            }
            streams.put("blue", new GatewayLab.Stream(lab.end("blue", 0), "blue", rate));
            streams.put("red", new GatewayLab.Stream(lab.end("red", 1), "red", rate));
            streams.put("green", new GatewayLab.Stream(lab.end("green", 0), "green", rate));
            GatewayLab.Stream amber = null;
            int amberRuns = 0;
            long start = System.nanoTime();
            long end = start + duration.toNanos();
            long nextSample = start;
            long nextRekey = start + period.toNanos();
            long nextAmber = start + period.toNanos() / 2;
            int blueSpi = 0x1001;
            int cycle = 0;
            while (System.nanoTime() < end) {
                long now = System.nanoTime();
                if (now >= nextSample) {
                    samples.add(sample((now - start) / 1_000_000_000L, lab, streams, amber != null));
                    if (print) {
                        System.out.println(describe(samples.getLast()));
                    }
                    nextSample += 10_000_000_000L;
                }
                if (now >= nextRekey) {
                    int next = 0x3000 + ++cycle;
                    String key = randomKey();
                    // 1. gw-b takes the new SA beside the old one; 2. gw-a seals with it; 3. the old one goes.
                    lab.sasB.add(GatewayLab.sa(next, "in", "gw-a", "blue", "aes-gcm-256", key));
                    lab.reload(1);
                    Thread.sleep(500);
                    replace(lab.sasA, blueSpi, "out", GatewayLab.sa(next, "out", "gw-b", "blue", "aes-gcm-256", key));
                    lab.reload(0);
                    Thread.sleep(lab.retireAfter.toMillis() + 1000);
                    replace(lab.sasB, blueSpi, "in", null);
                    lab.reload(1);
                    reloads += 3;
                    blueSpi = next;
                    nextRekey += period.toNanos();
                }
                if (now >= nextAmber) {
                    if (amber == null) {
                        int spi = 0x4000 + ++amberRuns;
                        lab.tenant("amber", 1004, "vxlan", true).gcmPair("amber", spi, randomKey(), spi + 0x800, randomKey());
                        lab.reload(1);
                        lab.reload(0);
                        lab.end("amber", 1).next.set(0);
                        amber = new GatewayLab.Stream(lab.end("amber", 0), "amber", rate);
                    } else {
                        amber.close();
                        amber = null;
                        Thread.sleep(200);
                        lab.tenants.remove("amber");
                        lab.sasA.removeIf(l -> l.contains("[amber]"));
                        lab.sasB.removeIf(l -> l.contains("[amber]"));
                        lab.reload(0);
                        lab.reload(1);
                    }
                    reloads += 2;
                    nextAmber += period.toNanos();
                }
                Thread.sleep(50);
            }
            if (amber != null) {
                amber.close();
            }
            streams.values().forEach(GatewayLab.Stream::close);
            Map<String, Long> sent = new LinkedHashMap<>();
            Map<String, Long> lost = new LinkedHashMap<>();
            for (var e : streams.entrySet()) {
                GatewayLab.FarEnd far = lab.end(e.getKey(), e.getKey().equals("red") ? 0 : 1);
                long n = e.getValue().sent.get();
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (far.next.get() < n && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                sent.put(e.getKey(), n);
                if (print) {
                    System.out.println("soak: " + far + " sent " + n);
                }
                lost.put(e.getKey(), far.lost.get() + (n - far.next.get()) + far.reordered.get() + far.foreign.get());
                if (print) {
                    System.out.println("soak: ledger " + e.getKey() + " " + lab.ledger(e.getKey(), n, e.getKey().equals("red") ? 1 : 0));
                }
            }
            if (print) {
                for (Gateway gw : List.of(lab.gwA, lab.gwB)) {
                    GatewayStats st = gw.stats();
                    System.out.println("soak: " + gw.name() + " drops " + st.drops() + " ports " + st.ports()
                            + " underlay rx " + st.underlayRxPackets() + " tx " + st.underlayTxPackets());
                }
            }
            samples.add(sample((System.nanoTime() - start) / 1_000_000_000L, lab, streams, false));
            lab.close();
            leaks.settle();
            return verdict(samples, warmup, sent, lost, leaks.count(), reloads, print);
        }
    }

    private static Result verdict(List<Sample> samples, Duration warmup, Map<String, Long> sent, Map<String, Long> lost,
                                  long leaks, int reloads, boolean print) {
        Sample atWarmup = samples.stream().filter(s -> s.seconds() >= warmup.toSeconds()).findFirst()
                .orElse(samples.getLast());
        List<Sample> after = samples.stream().filter(s -> s.seconds() >= atWarmup.seconds()).toList();
        long rssMax = after.stream().mapToLong(Sample::rssKib).max().orElse(0);
        int threadsMax = after.stream().mapToInt(Sample::threads).max().orElse(0);
        List<String> failures = new ArrayList<>();
        if (rssMax > atWarmup.rssKib() * 1.10) {
            failures.add("resident memory grew from " + atWarmup.rssKib() + " KiB to " + rssMax + " KiB (> 10 %)");
        }
        if (threadsMax > atWarmup.threads()) {
            failures.add("gateway threads grew from " + atWarmup.threads() + " to " + threadsMax);
        }
        for (String untouched : List.of("red", "green")) {
            if (lost.get(untouched) != 0) {
                failures.add(untouched + " (untouched by reloads) lost " + lost.get(untouched) + " frames");
            }
        }
        if (leaks != 0) {
            failures.add("Netty reported " + leaks + " leaks");
        }
        Result r = new Result(samples, atWarmup.rssKib(), rssMax, atWarmup.threads(), threadsMax, sent, lost, leaks,
                reloads, failures);
        if (print) {
            System.out.printf("soak: %d s, %d reloads; RSS at warm-up %d KiB, max after %d KiB (%+.1f %%); gateway threads"
                            + " %d -> max %d; sent %s; lost %s (blue is rekeyed every period, amber comes and goes);"
                            + " Netty leak reports %d%n%s%n", samples.getLast().seconds(), reloads, atWarmup.rssKib(),
                    rssMax, 100.0 * (rssMax - atWarmup.rssKib()) / atWarmup.rssKib(), atWarmup.threads(), threadsMax,
                    sent, lost, leaks, failures.isEmpty() ? "soak: PASSED" : "soak: FAILED: " + failures);
        }
        return r;
    }

    private static Sample sample(long seconds, GatewayLab lab, Map<String, GatewayLab.Stream> streams, boolean amber) {
        Map<String, Long> lost = new LinkedHashMap<>();
        streams.keySet().forEach(t -> {
            GatewayLab.FarEnd far = lab.end(t, t.equals("red") ? 0 : 1);
            lost.put(t, far.lost.get() + far.reordered.get() + far.foreign.get());
        });
        int threads = (int) Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("overlay-gw-a") || t.getName().startsWith("overlay-gw-b")).count();
        // Where a loss happened, if one did: each gateway's drops by reason and its ports' own drops.
        StringBuilder drops = new StringBuilder();
        for (Gateway gw : List.of(lab.gwA, lab.gwB)) {
            GatewayStats st = gw.stats();
            long portDrops = st.ports().values().stream().mapToLong(p -> p.txDropped() + p.rxErrors()).sum();
            drops.append(' ').append(gw.name()).append('=').append(GatewayLab.drops(st))
                    .append(portDrops == 0 ? "" : " port-drops=" + portDrops);
        }
        // Loss the gateways cannot count: datagrams the kernel dropped because a socket's receive
        // buffer was full (the underlay's, a tenant port's, or a far end's, all in /proc/net/udp).
        long kernel = 0;
        for (int port : lab.allPorts()) {
            kernel += Math.max(0, GatewayLab.kernelDrops(port));
        }
        drops.append(" kernel-socket-drops=").append(kernel).append(" load=").append(loadAverage());
        return new Sample(seconds, rssKib(), threads, lost, amber, drops.toString().strip());
    }

    private static String describe(Sample s) {
        return String.format("soak: t=%4d s rss=%7d KiB gateway-threads=%d amber=%s lost=%s drops: %s", s.seconds(),
                s.rssKib(), s.threads(), s.amber() ? "on" : "off", s.lost(), s.drops());
    }

    /** The host's one-minute load average: the context of any congestion drop on a shared machine. */
    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "?";
        }
    }

    static long rssKib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", ""));
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return -1;
    }

    /** Replaces (or with {@code line} null removes) the SA line of {@code spi} and {@code direction}. */
    private static void replace(List<String> sas, int spi, String direction, String line) {
        String tag = String.format("spi: 0x%08x, direction: %s,", spi, direction);
        for (int i = 0; i < sas.size(); i++) {
            if (sas.get(i).contains(tag)) {
                if (line == null) {
                    sas.remove(i);
                } else {
                    sas.set(i, line);
                }
                return;
            }
        }
        throw new IllegalStateException("no SA line " + tag);
    }

    private static String randomKey() {
        byte[] k = new byte[36];
        new SecureRandom().nextBytes(k);
        return "0x" + HexFormat.of().formatHex(k);
    }

    /** Counts Netty's leak reports (ResourceLeakDetector logs them at ERROR, SEVERE in java.util.logging). */
    static final class LeakCounter extends Handler implements AutoCloseable {
        private final Logger logger = Logger.getLogger("io.netty.util.ResourceLeakDetector");
        private volatile long count;

        LeakCounter() {
            logger.addHandler(this);
        }

        @Override
        public void publish(LogRecord r) {
            if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
                count++;
                System.err.println("soak: leak report: " + r.getMessage());
            }
        }

        /** Reports come when a leaked buffer is collected and the next one allocated: provoke both. */
        void settle() throws InterruptedException {
            for (int i = 0; i < 5; i++) {
                System.gc();
                Thread.sleep(50);
                io.netty.buffer.PooledByteBufAllocator.DEFAULT.directBuffer(64).release();
            }
        }

        long count() {
            return count;
        }

        @Override
        public void flush() {}

        @Override
        public void close() {
            logger.removeHandler(this);
        }
    }
}
