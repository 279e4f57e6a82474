package dev.overlay.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.cli.Configs;
import dev.overlay.cli.Main;
import dev.overlay.config.ConfigErrors;
import dev.overlay.config.ConfigLoader;
import dev.overlay.config.ConfigResult;
import dev.overlay.config.OverlayConfig;
import dev.overlay.datapath.SaTable;
import dev.overlay.datapath.Topology;
import dev.overlay.esp.InboundSaState;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keys never leave the process except through {@code pcap wireshark-keys}: not in any log line
 * (at every level, during a run with reloads, a refused reload and drops), not in metrics, not
 * in stats, not in any record's or state's {@code toString()}, not in {@code check}'s text or
 * JSON, not in the message of any config error about a key; and a removed SA's keys are zeroed
 * once its grace period has passed. "Not in" means no run of 4 bytes of any key, in hex (either
 * case) or raw.
 */
class KeyMaterialTest {
    static final List<String> KEYS = List.of(TwoGateways.K_BLUE_AB, TwoGateways.K_BLUE_BA, TwoGateways.K_RED_AB,
            TwoGateways.K_RED_BA, TwoGateways.K_REKEY);

    @TempDir
    Path dir;

    /** Every log record of every logger, at every level, while it is open. */
    static final class AllLogs extends Handler implements AutoCloseable {
        final List<String> lines = new CopyOnWriteArrayList<>();
        private final Logger root = Logger.getLogger("");
        private final Logger gateway = Logger.getLogger("dev.overlay.gateway");
        private final Level rootLevel = root.getLevel();
        private final Level gatewayLevel = gateway.getLevel();

        AllLogs() {
            setLevel(Level.ALL);
            root.addHandler(this);
            root.setLevel(Level.ALL);
            gateway.setLevel(Level.ALL);
        }

        @Override
        public void publish(LogRecord r) {
            StringBuilder sb = new StringBuilder(String.valueOf(r.getMessage()));
            if (r.getParameters() != null) {
                for (Object p : r.getParameters()) {
                    sb.append(' ').append(p);
                }
            }
            for (Throwable t = r.getThrown(); t != null; t = t.getCause()) {
                sb.append(' ').append(t);
            }
            lines.add(sb.toString());
        }

        @Override
        public void flush() {}

        @Override
        public void close() {
            root.removeHandler(this);
            root.setLevel(rootLevel);
            gateway.setLevel(gatewayLevel);
        }
    }

    @Test
    void noKeyInLogsMetricsStatsOrRecordsDuringARunWithReloadsRefusalsAndDrops() throws Exception {
        List<String> texts = new ArrayList<>();
        GatewayLab lab = new GatewayLab(dir).tenant("blue", 1001, "vxlan", true).tenant("red", 1002, "geneve", true)
                .gcmPair("blue", 0x1001, TwoGateways.K_BLUE_AB, 0x2001, TwoGateways.K_BLUE_BA)
                .gcmPair("red", 0x1002, TwoGateways.K_RED_AB, 0x2002, TwoGateways.K_RED_BA);
        try (AllLogs logs = new AllLogs(); lab) {
            lab.start();
            GatewayLab.FarEnd blueB = lab.end("blue", 1);
            for (int i = 0; i < 20; i++) {
                lab.end("blue", 0).send(GatewayLab.legit("blue", i));
            }
            TwoGateways.waitFor(() -> blueB.next.get() == 20, "blue frames");
            // Drops that name an SA: a replay and a forgery of blue's SA, a stray SPI.
            try (Forger forger = new Forger(lab.write("forger.yaml", lab.yaml(0)), "gw-b");
                 DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.3", 0))) {
                byte[] replay = forger.seal("blue", 0x1001, GatewayLab.legit("blue", 0));
                byte[] forged = replay.clone();
                forged[forged.length - 1] ^= 1;
                forged[7] = 99;
                for (byte[] p : List.of(replay, forged, new byte[] {0, 0, 0x77, 0x77, 0, 0, 0, 1, 2, 3})) {
                    s.send(new DatagramPacket(p, p.length, new InetSocketAddress(GatewayLab.B, lab.esp)));
                }
            }
            TwoGateways.waitFor(() -> lab.gwB.stats().totalDrops() >= 3, "the drops");
            // A rekey by reload, and a reload refused for a malformed key (both reported in the log).
            lab.sasB.add(GatewayLab.sa(0x3001, "in", "gw-a", "blue", "aes-gcm-256", TwoGateways.K_REKEY));
            texts.add(lab.reload(1).toString());
            String bad = lab.yaml(1).replace(TwoGateways.K_REKEY, TwoGateways.K_REKEY.substring(0, 70))
                    .replace(TwoGateways.K_RED_BA, TwoGateways.K_RED_BA.substring(0, 40) + "zz"
                            + TwoGateways.K_RED_BA.substring(42));
            Gateway.ReloadResult refused = lab.gwB.reload(lab.write("bad.yaml", bad));
            assertFalse(refused.applied());
            assertTrue(refused.errors().size() >= 2, refused.errors()::toString);
            texts.add(refused.toString());
            texts.add(GatewayLifecycleTest.scrape(lab.gwA));
            texts.add(GatewayLifecycleTest.scrape(lab.gwB));
            texts.add(lab.gwA.stats().toString());
            texts.add(lab.gwB.stats().toString());
            OverlayConfig config = Configs.loadOrFail(lab.write(1));
            texts.add(config.toString());
            config.securityAssociations().forEach(sa -> texts.add(sa.toString()));
            Topology topology = Topology.of(config);
            try (SaTable sas = SaTable.of(topology, true)) {
                sas.inbounds().forEach(in -> texts.add(in.toString() + in.state() + in.state().association()));
                sas.outboundStates().forEach(out -> texts.add(out.toString() + out.association()));
            }
            lab.close();
            texts.addAll(logs.lines);
            assertTrue(logs.lines.stream().anyMatch(l -> l.contains("reload-refused")), "the refusal was logged");
            assertTrue(logs.lines.stream().anyMatch(l -> l.contains("sa-owner")), "FINE events were captured");
        }
        assertNoKey(String.join("\n", texts));
    }

    @Test
    void configErrorsAboutKeysNeverEchoTheKey() throws Exception {
        String base = new GatewayLab(dir).tenant("blue", 1001, "vxlan", true)
                .gcmPair("blue", 0x1001, TwoGateways.K_BLUE_AB, 0x2001, TwoGateways.K_BLUE_BA).yaml(0);
        String ab = TwoGateways.K_BLUE_AB;
        String ba = TwoGateways.K_BLUE_BA;
        List<String> variants = List.of(
                base.replace(ab, ab.substring(0, 66)),                               // 32 bytes: salt missing
                base.replace(ab, ab + "00"),                                          // 37 bytes
                base.replace(ab, ab.substring(0, 30) + "xyz" + ab.substring(33)),     // not hex
                base.replace(ab, ab.substring(0, 71)),                                // odd number of digits
                base.replace("algorithm: aes-gcm-256, icv-length: 16, key: \"" + ba,  // cbc with a gcm key and no integrity
                        "algorithm: aes-cbc-256, icv-length: 16, key: \"" + ba),
                base.replace("algorithm: aes-gcm-256, icv-length: 16, key: \"" + ab,  // an integrity key where none belongs
                        "algorithm: aes-gcm-256, icv-length: 16, integrity-key: \"" + ba + "\", key: \"" + ab));
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < variants.size(); i++) {
            Path file = new GatewayLab(dir).write("bad-" + i + ".yaml", variants.get(i));
            ConfigResult r = ConfigLoader.load(file);
            assertFalse(r.ok(), "variant " + i + " must be refused");
            String errors = ConfigErrors.format(r.errors());
            all.append(errors).append(r.errors()).append('\n');
            for (String command : List.of("check", "run")) {
                StringWriter out = new StringWriter();
                StringWriter err = new StringWriter();
                int status = Main.run(new String[] {command, "--config", file.toString()}, new PrintWriter(out),
                        new PrintWriter(err));
                assertEquals(2, status, () -> command + " " + err);
                all.append(out).append(err);
            }
        }
        assertTrue(all.toString().contains("key"), all::toString);
        assertNoKey(all.toString());
    }

    @Test
    void checkTextAndJsonShowEverySaButNoKey() throws Exception {
        Path file = new GatewayLab(dir).tenant("blue", 1001, "vxlan", true).tenant("red", 1002, "geneve", true)
                .gcmPair("blue", 0x1001, TwoGateways.K_BLUE_AB, 0x2001, TwoGateways.K_BLUE_BA)
                .gcmPair("red", 0x1002, TwoGateways.K_RED_AB, 0x2002, TwoGateways.K_RED_BA).write(0);
        StringBuilder all = new StringBuilder();
        for (String[] args : List.of(new String[] {"check", "--config", file.toString()},
                new String[] {"check", "--json", "--config", file.toString()})) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            assertEquals(0, Main.run(args, new PrintWriter(out), new PrintWriter(err)), err::toString);
            assertTrue(out.toString().contains("0x00001001") && out.toString().contains("0x00002002"), out::toString);
            all.append(out).append(err);
        }
        assertNoKey(all.toString());
    }

    @Test
    void removedSasKeysAreZeroedOnceTheirGracePeriodHasPassed() throws Exception {
        GatewayLab lab = new GatewayLab(dir).tenant("blue", 1001, "vxlan", true)
                .gcmPair("blue", 0x1001, TwoGateways.K_BLUE_AB, 0x2001, TwoGateways.K_BLUE_BA);
        try (lab) {
            lab.start();
            InboundSaState removed = inbound(lab.gwB, 0x1001);
            assertFalse(isZero(removed.association().key()));
            lab.sasB.removeIf(l -> l.contains("0x00001001"));
            lab.reload(1);
            Thread.sleep(lab.retireAfter.toMillis() + 500);
            assertTrue(removed.toString().contains("closed"), removed::toString);
            assertTrue(isZero(removed.association().key()), "the removed SA's key is zeroed");
            var kept = pipeline(lab.gwB).view().sas.outboundStates().getFirst(); // 0x2001, gw-b -> gw-a
            lab.close();
            assertTrue(isZero(kept.association().key()), "and every key once the gateway stopped");
        }
    }

    /** The inbound state of {@code spi} in {@code gw}'s current view (the test's only use of reflection). */
    private static InboundSaState inbound(Gateway gw, int spi) throws ReflectiveOperationException {
        return pipeline(gw).view().sas.inbound(spi, true).state();
    }

    private static Pipeline pipeline(Gateway gw) throws ReflectiveOperationException {
        var field = Gateway.class.getDeclaredField("pipeline");
        field.setAccessible(true);
        return (Pipeline) field.get(gw);
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    /** No run of 4 bytes of any of {@link #KEYS}: hex in either case, or the raw bytes. */
    static void assertNoKey(String text) {
        String lower = text.toLowerCase(Locale.ROOT);
        String raw = new String(text.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.ISO_8859_1);
        for (String key : KEYS) {
            byte[] bytes = HexFormat.of().parseHex(key.substring(2));
            String hex = key.substring(2).toLowerCase(Locale.ROOT);
            for (int at = 0; at + 4 <= bytes.length; at++) {
                String run = hex.substring(2 * at, 2 * at + 8);
                assertFalse(lower.contains(run), () -> "key bytes " + run + " in: " + excerpt(lower, run));
                String rawRun = new String(bytes, at, 4, StandardCharsets.ISO_8859_1);
                assertFalse(raw.contains(rawRun), "raw key bytes at offset " + at);
            }
        }
    }

    private static String excerpt(String text, String run) {
        int at = text.indexOf(run);
        return text.substring(Math.max(0, at - 200), Math.min(text.length(), at + 200));
    }
}
