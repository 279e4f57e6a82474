package dev.overlay.cluster;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * An etcd cluster of a few members on 127.0.0.1, run as child processes of Debian's
 * {@code etcd} (3.4): what {@code demo --cluster} and the cluster tests start. Ports are free
 * ones chosen at start, so runs side by side never meet; data directories live under
 * {@code root}, which {@link #close()} deletes after killing every member. Never a production
 * deployment: no TLS, no authentication, loopback only.
 */
public final class LocalEtcd implements AutoCloseable {
    /** Where Debian's etcd-server puts the binary. */
    public static final Path ETCD = Path.of("/usr/bin/etcd");

    private final Path root;
    private final String token;
    private final List<Member> members = new ArrayList<>();
    /** Kills the members if the JVM goes first (SIGTERM, a test run cut short): no etcd outlives it. */
    private final Thread hook = Thread.ofPlatform().name("overlay-local-etcd-cleanup").unstarted(this::killAll);

    private record Member(String name, int clientPort, int peerPort, Path dataDir, Path logFile, Process[] process) {
        String clientUrl() {
            return "http://127.0.0.1:" + clientPort;
        }

        String peerUrl() {
            return "http://127.0.0.1:" + peerPort;
        }
    }

    private LocalEtcd(Path root, int count) {
        this.root = root;
        this.token = "overlay-" + root.getFileName();
        int[] ports = FreePorts.tcp(2 * count);
        for (int i = 0; i < count; i++) {
            String name = "etcd" + i;
            members.add(new Member(name, ports[2 * i], ports[2 * i + 1], root.resolve(name + ".data"),
                    root.resolve(name + ".log"), new Process[1]));
        }
    }

    /** True when etcd is installed where Debian's package puts it. */
    public static boolean installed() {
        return Files.isExecutable(ETCD);
    }

    /**
     * Starts {@code count} members under {@code root} (an existing, empty directory) and waits
     * until every one answers on its client port and the cluster has a leader.
     */
    public static LocalEtcd start(Path root, int count, Duration timeout) throws IOException {
        if (count < 1) {
            throw new IllegalArgumentException("count: " + count + " (expected: >= 1)");
        }
        LocalEtcd etcd = new LocalEtcd(root, count);
        Runtime.getRuntime().addShutdownHook(etcd.hook);
        try {
            for (int i = 0; i < count; i++) {
                etcd.launch(i, true);
            }
            etcd.awaitHealthy(timeout);
        } catch (IOException | RuntimeException e) {
            etcd.close();
            throw e;
        }
        return etcd;
    }

    /** Client URLs, one per member, as {@code gateway.cluster.etcd} takes them. */
    public List<String> endpoints() {
        return members.stream().map(Member::clientUrl).toList();
    }

    public String endpoint(int member) {
        return members.get(member).clientUrl();
    }

    public int size() {
        return members.size();
    }

    /** SIGKILL to one member, as a crash: its data directory stays for {@link #restart}. */
    public void kill(int member) throws InterruptedException {
        Process p = members.get(member).process[0];
        if (p != null) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Starts a killed member again on its data directory; it rejoins the cluster it left. */
    public void restart(int member, Duration timeout) throws IOException {
        launch(member, false);
        awaitPort(members.get(member), System.nanoTime() + timeout.toNanos());
    }

    /** The resident set size of one member in kB (from /proc), or -1 when it is not running. */
    public long rssKb(int member) {
        Process p = members.get(member).process[0];
        if (p == null || !p.isAlive()) {
            return -1;
        }
        try (Stream<String> lines = Files.lines(Path.of("/proc", Long.toString(p.pid()), "status"))) {
            return lines.filter(l -> l.startsWith("VmRSS:")).findFirst()
                    .map(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).orElse(-1L);
        } catch (IOException e) {
            return -1;
        }
    }

    /** The bytes of one member's data directory (its bbolt database and WAL). */
    public long dataBytes(int member) {
        try (Stream<Path> files = Files.walk(members.get(member).dataDir)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }  catch (IOException e) {
            return -1;
        }
    }

    private void launch(int i, boolean fresh) throws IOException {
        Member m = members.get(i);
        StringBuilder cluster = new StringBuilder();
        for (Member o : members) {
            cluster.append(cluster.isEmpty() ? "" : ",").append(o.name).append('=').append(o.peerUrl());
        }
        List<String> cmd = List.of(ETCD.toString(), "--name", m.name, "--data-dir", m.dataDir.toString(),
                "--listen-client-urls", m.clientUrl(), "--advertise-client-urls", m.clientUrl(),
                "--listen-peer-urls", m.peerUrl(), "--initial-advertise-peer-urls", m.peerUrl(),
                "--initial-cluster", cluster.toString(), "--initial-cluster-token", token,
                "--initial-cluster-state", fresh ? "new" : "existing",
                // etcd's defaults: shorter ones make elections flap on a loaded host.
                "--heartbeat-interval", "100", "--election-timeout", "1000",
                "--logger", "zap", "--log-outputs", "stderr");
        m.process[0] = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(m.logFile.toFile())).start();
    }

    private void awaitHealthy(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Member m : members) {
            awaitPort(m, deadline);
        }
    }

    private void awaitPort(Member m, long deadline) throws IOException {
        while (true) {
            Process p = m.process[0];
            if (!p.isAlive()) {
                throw new IOException("etcd member " + m.name + " exited with status " + p.exitValue()
                        + "; its log: " + m.logFile + tail(m.logFile));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", m.clientPort), 200);
                return;
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("etcd member " + m.name + " did not listen on " + m.clientUrl()
                            + " in time; its log: " + m.logFile + tail(m.logFile));
                }
                sleep(100);
            }
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return "\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for etcd", e);
        }
    }

    private void killAll() {
        for (Member m : members) {
            Process p = m.process[0];
            if (p != null) {
                p.destroyForcibly();
            }
        }
    }

    /** Kills every member and deletes the data directories and logs. */
    @Override
    public void close() {
        killAll();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or has run
        }
        for (Member m : members) {
            Process p = m.process[0];
            if (p != null) {
                try {
                    p.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // Left behind in a temporary directory: nothing else to do.
        }
    }
}
