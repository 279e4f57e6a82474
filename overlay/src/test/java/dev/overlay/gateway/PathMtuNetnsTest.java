package dev.overlay.gateway;

import static dev.overlay.gateway.NetLab.in;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Path MTU as a user meets it: two gateways (ESP in UDP, AES-GCM-256), each tenant host a
 * network namespace whose interface is the gateway's TAP at the default MTU 1500 with the
 * default offloads (checksum, TSO: checked with ethtool), the tenant MTU 1408. The oracles are
 * the tenant hosts' own kernels, ping, tracepath, iperf3, Python's sockets and sha256, and
 * tcpdump/tshark on the tenants and on the underlay.
 *
 * <ul>
 *   <li>ping with DF and tracepath learn 1408 from our ICMP, IPv4 and IPv6, and the kernel
 *       keeps it ({@code ip route get}: {@code mtu 1408});</li>
 *   <li>TCP at MTU 1500 with TSO: iperf3 1 and 4 streams complete, 50 MB arrive with their sha256;</li>
 *   <li>with {@code mss-clamp: auto} the SYN and SYN-ACK on the far side carry MSS 1368, and
 *       tshark finds their TCP checksums good;</li>
 *   <li>the underlay carries DF with {@code df}; with {@code allow} over an underlay path of
 *       MTU 1500 (a host route with {@code mtu lock 1500}), a 1500-byte tenant packet crosses as
 *       outer fragments and arrives whole.</li>
 * </ul>
 */
class PathMtuNetnsTest {
    @TempDir
    Path dir;

    /** Two tenant namespaces on two gateways' TAPs. */
    private record Pair(NetLab lab, TwoGateways.Blue gw, String nsA, String nsB, String tapA, String tapB, String prefix)
            implements AutoCloseable {
        Gateway gwA() {
            return gw.a();
        }

        Gateway gwB() {
            return gw.b();
        }

        @Override
        public void close() {
            gw.close();
        }
    }

    /** {@code tenantKeys}, {@code gatewayKeys}: more of blue's and of the gateway block's keys, on both sides. */
    private Pair pair(NetLab lab, String tenantKeys, String gatewayKeys, String underlayNet) throws Exception {
        TwoGateways ports = new TwoGateways(dir, "udp"); // free ports and keys only
        String prefix = "pm" + lab.id;
        String nsA = lab.namespace("ovma");
        String nsB = lab.namespace("ovmb");
        for (String ns : List.of(nsA, nsB)) {
            in(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=0", "net.ipv6.conf.default.disable_ipv6=0");
        }
        String tapA = "ovma" + lab.id;
        String tapB = "ovmb" + lab.id;
        TwoGateways.Blue gw = ports.startBlue(prefix, underlayNet, "type: tap, name: " + tapA, "type: tap, name: " + tapB,
                gatewayKeys, tenantKeys);
        try {
            NetLab.moveIn(tapA, nsA, "10.98.0.1/24", 1500);
            NetLab.moveIn(tapB, nsB, "10.98.0.2/24", 1500);
            NetLab.sh("ip", "-n", nsA, "addr", "add", "fd98::1/64", "dev", tapA, "nodad");
            NetLab.sh("ip", "-n", nsB, "addr", "add", "fd98::2/64", "dev", tapB, "nodad");
            String ping = in(nsA, "ping", "-c", "2", "-i", "0.2", "-W", "2", "10.98.0.2");
            assertTrue(ping.contains("2 received"), ping);
            return new Pair(lab, gw, nsA, nsB, tapA, tapB, prefix);
        } catch (Exception | AssertionError e) {
            gw.close();
            throw e;
        }
    }

    @Test
    void tenantsAtMtu1500LearnTheTenantMtuFromOurIcmpAndCarryTcp() throws Exception {
        if (!NetLab.root("PathMtuNetnsTest")) {
            return;
        }
        try (GatewayLifecycleTest.Records leaks = new GatewayLifecycleTest.Records("io.netty.util.ResourceLeakDetector");
             NetLab lab = new NetLab()) {
            String net = NetLab.underlayNet();
            Path capture = dir.resolve("underlay.pcap");
            Process tcpdump = lab.start("tcpdump", "--immediate-mode", "-i", "lo", "-n", "-U", "-w", capture.toString(),
                    "udp and host " + net + ".1 and host " + net + ".2");
            awaitListening(tcpdump);
            String prefix;
            try (Pair p = pair(lab, "", "", net)) {
                prefix = p.prefix();
                String offloads = in(p.nsA(), "ethtool", "-k", p.tapA());
                assertTrue(offloads.contains("tcp-segmentation-offload: on")
                        && offloads.contains("tx-checksumming: on"), "the tenant keeps the default offloads:\n" + offloads);
                assertTrue(in(p.nsA(), "ip", "link", "show", p.tapA()).contains("mtu 1500"));

                // (a) ping with DF: the first gets our error, the kernel keeps the MTU for the route.
                String ping = NetLab.run("ip", "netns", "exec", p.nsA(), "ping", "-c", "2", "-i", "0.3", "-W", "2",
                        "-M", "do", "-s", "1472", "10.98.0.2").out();
                assertTrue(ping.contains("Frag needed and DF set (mtu = 1408)"), ping);
                String route = in(p.nsA(), "ip", "route", "get", "10.98.0.2");
                assertTrue(route.contains("mtu 1408") && route.contains("expires"), route);
                String ping6 = NetLab.run("ip", "netns", "exec", p.nsA(), "ping", "-6", "-c", "2", "-i", "0.3", "-W", "2",
                        "-M", "do", "-s", "1452", "fd98::2").out();
                assertTrue(ping6.contains("Packet too big: mtu=1408"), ping6);
                String route6 = in(p.nsA(), "ip", "-6", "route", "get", "fd98::2");
                assertTrue(route6.contains("mtu 1408") && route6.contains("expires"), route6);
                in(p.nsA(), "ip", "route", "flush", "cache");
                in(p.nsA(), "ip", "-6", "route", "flush", "cache");
                String trace = in(p.nsA(), "tracepath", "-n", "10.98.0.2");
                assertTrue(trace.contains("pmtu 1408") && trace.contains("Resume: pmtu 1408"), trace);
                String trace6 = in(p.nsA(), "tracepath", "-6", "-n", "fd98::2");
                assertTrue(trace6.contains("Resume: pmtu 1408"), trace6);

                // (b) TCP with TSO at MTU 1500: the 64 KB super-frames' segments do not fit, the
                // sender learns 1408 from one error each time and carries on.
                for (String ns : List.of(p.nsA(), p.nsB())) {
                    in(ns, "ip", "route", "flush", "cache");
                }
                Path errors = dir.resolve("errors-at-a.pcap");
                Process dumpA = lab.start("ip", "netns", "exec", p.nsA(), "tcpdump", "--immediate-mode", "-i", p.tapA(), "-n", "-U",
                        "-Q", "in", "-w", errors.toString(), "icmp");
                awaitListening(dumpA);
                for (int streams : new int[] {1, 4}) {
                    JsonNode result = iperf(lab, p, streams);
                    long bytes = result.path("end").path("sum_received").path("bytes").asLong();
                    // Far past the first window of 10 segments the oversized super-frame carried: TCP
                    // went on at the learned MSS (rates are low here: Netty's paranoid leak detector).
                    assertTrue(bytes > 200_000, streams + " streams received " + bytes + " bytes: " + result.path("end"));
                    System.out.printf("pmtu: iperf3 %d stream(s) at tenant MTU 1500: %.0f Mbit/s, %d retransmissions%n",
                            streams, result.path("end").path("sum_received").path("bits_per_second").asDouble() / 1e6,
                            result.path("end").path("sum_sent").path("retransmits").asLong());
                }

                Thread.sleep(300);
                dumpA.destroy();
                dumpA.waitFor(5, TimeUnit.SECONDS);
                // A super-frame whose segments would not fit is answered whole: one error quoting
                // its header (IP total length far above 1500), not one refused segment after another.
                List<Integer> quoted = tshark(errors, "icmp.type==3", "ip.len").stream()
                        .map(f -> Integer.parseInt(f[0].isEmpty() ? "0" : f[0])).toList();
                assertTrue(quoted.stream().anyMatch(len -> len > 1500), "lengths the errors quote: " + quoted);

                // (c) 50 MB over TCP, IPv6 this time, with a fresh route cache: the bytes arrive intact.
                in(p.nsA(), "ip", "-6", "route", "flush", "cache");
                lab.assertTcpCarries(p.nsA(), p.nsB(), "fd98::2", 50 * 1024 * 1024);

                GatewayStats a = p.gwA().stats();
                GatewayStats.PathMtuStats mtu = a.tenant("blue").pathMtu();
                assertTrue(mtu.fragmentationNeeded() >= 3 && mtu.packetTooBig() >= 3, mtu::toString);
                GatewayStats.PortStats tap = a.ports().get("tap:" + p.tapA());
                assertTrue(tap.rxGsoSegments() > tap.rxGsoFrames(), () -> "TSO super-frames cut once the MTU was learned: " + tap);
                assertEquals(a.drops("too-big"), a.totalDrops(), () -> "only oversized frames dropped: " + a.drops());
                assertEquals(0, p.gwB().stats().totalDrops(), () -> p.gwB().stats().drops().toString());
            } finally {
                Thread.sleep(300);
                tcpdump.destroy();
                tcpdump.waitFor(5, TimeUnit.SECONDS);
            }
            // (f, df) Every outer packet carried DF, and none was a fragment.
            List<String[]> outer = tshark(capture, "ip.flags.df", "ip.flags.mf", "ip.frag_offset");
            assertTrue(outer.size() > 1000, "underlay packets: " + outer.size());
            for (String[] f : outer) {
                assertEquals("1", flag(f[0]), () -> "an outer packet without DF: " + String.join(",", f));
                assertEquals("0", flag(f[1]));
                assertEquals("0", f[2]);
            }
            NetLab.assertNoThreadOrLeak(prefix, leaks);
        }
    }

    @Test
    void mssClampIsSeenInTheTenantsCapturesWithGoodChecksums() throws Exception {
        if (!NetLab.root("PathMtuNetnsTest")) {
            return;
        }
        try (NetLab lab = new NetLab(); Pair p = pair(lab, ", mss-clamp: auto", "", NetLab.underlayNet())) {
            Path atB = dir.resolve("syn-at-b.pcap");
            Path atA = dir.resolve("synack-at-a.pcap");
            // Each side's capture holds what it received, 128 bytes of each: both SYNs and SYN-ACKs
            // (IPv4 and IPv6), with the far host as their source.
            Process dumpB = lab.start("ip", "netns", "exec", p.nsB(), "tcpdump", "--immediate-mode", "-i", p.tapB(), "-n", "-U", "-s", "128",
                    "-Q", "in", "-w", atB.toString(), "tcp");
            Process dumpA = lab.start("ip", "netns", "exec", p.nsA(), "tcpdump", "--immediate-mode", "-i", p.tapA(), "-n", "-U", "-s", "128",
                    "-Q", "in", "-w", atA.toString(), "tcp");
            awaitListening(dumpB);
            awaitListening(dumpA);
            lab.assertTcpCarries(p.nsA(), p.nsB(), "10.98.0.2", 1024 * 1024);
            lab.assertTcpCarries(p.nsA(), p.nsB(), "fd98::2", 1024 * 1024);
            Thread.sleep(300);
            dumpA.destroy();
            dumpB.destroy();
            dumpA.waitFor(5, TimeUnit.SECONDS);
            dumpB.waitFor(5, TimeUnit.SECONDS);
            // The SYN as the far tenant received it (gw-a clamped it leaving), and the SYN-ACK as the
            // near one received it (gw-b clamped it leaving); tcp.checksum.status 1 is "Good".
            List<String> syns = rows(tshark(atB, "tcp.flags.syn==1", "tcp.flags.ack", "tcp.options.mss_val",
                    "tcp.checksum.status", "ip.version"));
            List<String> synAcks = rows(tshark(atA, "tcp.flags.syn==1", "tcp.flags.ack", "tcp.options.mss_val",
                    "tcp.checksum.status", "ip.version"));
            assertEquals(List.of("0,1368,1,4", "0,1348,1,6"), syns, "SYNs as b received them");
            assertEquals(List.of("1,1368,1,4", "1,1348,1,6"), synAcks, "SYN-ACKs as a received them");
            GatewayStats.PathMtuStats a = p.gwA().stats().tenant("blue").pathMtu();
            GatewayStats.PathMtuStats b = p.gwB().stats().tenant("blue").pathMtu();
            assertTrue(a.mssClampedTx() >= 2 && b.mssClampedTx() >= 2, a + " " + b);
            assertEquals(0, a.fragmentationNeeded() + a.packetTooBig(), "no segment was too big: " + a);
        }
    }

    @Test
    void withFragmentationAllowedFullSizeFramesCrossAsOuterFragments() throws Exception {
        if (!NetLab.root("PathMtuNetnsTest")) {
            return;
        }
        try (NetLab lab = new NetLab()) {
            String net = NetLab.underlayNet();
            // The gateways talk over lo (MTU 65536): host routes with an MTU of 1500 make the
            // underlay path between them a 1500-byte one, where the kernel must fragment.
            lab.localRouteMtu(net + ".1", 1500);
            lab.localRouteMtu(net + ".2", 1500);
            Path capture = dir.resolve("underlay.pcap");
            Process tcpdump = lab.start("tcpdump", "--immediate-mode", "-i", "lo", "-n", "-U", "-w", capture.toString(),
                    "udp and host " + net + ".1 and host " + net + ".2");
            awaitListening(tcpdump);
            try (Pair p = pair(lab, "", "\n  underlay-fragmentation: allow", net)) {
                String ping = in(p.nsA(), "ping", "-c", "3", "-i", "0.3", "-W", "2", "-M", "do", "-s", "1472", "10.98.0.2");
                assertTrue(ping.contains("3 received"), "1500-byte packets cross whole: " + ping);
                assertTrue(!in(p.nsA(), "ip", "route", "get", "10.98.0.2").contains("mtu"), "no MTU was learned");
                lab.assertTcpCarries(p.nsA(), p.nsB(), "10.98.0.2", 5 * 1024 * 1024);
                GatewayStats a = p.gwA().stats();
                assertEquals(0, a.totalDrops(), () -> a.drops().toString());
                assertEquals(0, a.tenant("blue").pathMtu().fragmentationNeeded());
                assertEquals(0, p.gwB().stats().totalDrops(), () -> p.gwB().stats().drops().toString());
            } finally {
                Thread.sleep(300);
                tcpdump.destroy();
                tcpdump.waitFor(5, TimeUnit.SECONDS);
            }
            List<String[]> outer = tshark(capture, "ip.flags.df", "ip.flags.mf", "ip.frag_offset", "frame.len");
            long first = outer.stream().filter(f -> flag(f[1]).equals("1") && f[2].equals("0")).count();
            long later = outer.stream().filter(f -> !f[2].equals("0")).count();
            assertTrue(first >= 6 && later >= 6, "fragmented outer packets: " + first + " first, " + later + " later");
            assertTrue(outer.stream().allMatch(f -> flag(f[0]).equals("0")), "allow: no outer packet carries DF");
            // (Unfragmented trains of small datagrams show up larger: lo passes UDP GSO packets whole.)
            assertTrue(outer.stream().filter(f -> flag(f[1]).equals("1") || !f[2].equals("0"))
                    .allMatch(f -> Integer.parseInt(f[3]) <= 14 + 1500), "every fragment fits 1500");
        }
    }

    private JsonNode iperf(NetLab lab, Pair p, int streams) throws Exception {
        int port = 5201 + streams;
        Process server = lab.start("ip", "netns", "exec", p.nsB(), "iperf3", "-s", "-1", "-p", Integer.toString(port));
        TwoGateways.waitFor(() -> NetLab.run("ip", "netns", "exec", p.nsB(), "ss", "-ltn").out().contains(":" + port),
                "iperf3 listening");
        Process client = lab.start("ip", "netns", "exec", p.nsA(), "iperf3", "-c", "10.98.0.2", "-p",
                Integer.toString(port), "-t", "3", "-P", Integer.toString(streams), "-J");
        String out = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(client.waitFor(60, TimeUnit.SECONDS), "iperf3 finished");
        assertEquals(0, client.exitValue(), out);
        server.waitFor(10, TimeUnit.SECONDS);
        return new ObjectMapper().readTree(out);
    }

    private static String flag(String tsharkBool) {
        return tsharkBool.equals("True") || tsharkBool.equals("1") ? "1" : tsharkBool.equals("False") ? "0" : tsharkBool;
    }

    /** One row per packet, the first occurrence of each field; a first argument with "==" is a display filter. */
    private static List<String[]> tshark(Path capture, String... fields) throws Exception {
        // An ICMP error's fields come twice (its own header, then the quoted one): the last is the quote's.
        boolean quote = fields.length > 0 && fields[0].startsWith("icmp");
        List<String> command = new ArrayList<>(List.of("tshark", "-n", "-r", capture.toString(),
                "-o", "tcp.check_checksum:TRUE", "-o", "ip.defragment:FALSE", "-T", "fields", "-E", "separator=,",
                "-E", quote ? "occurrence=l" : "occurrence=f"));
        if (fields.length > 0 && fields[0].contains("==")) {
            command.addAll(List.of("-Y", fields[0]));
            fields = java.util.Arrays.copyOfRange(fields, 1, fields.length);
        }
        for (String f : fields) {
            command.add("-e");
            command.add(f);
        }
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        List<String[]> rows = new ArrayList<>();
        for (String line : new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList()) {
            rows.add(line.split(",", -1));
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "tshark failed on " + capture);
        return rows;
    }

    private static List<String> rows(List<String[]> fields) {
        return fields.stream().map(f -> String.join(",", f).replace("True", "1").replace("False", "0")).toList();
    }

    private static void awaitListening(Process tcpdump) throws Exception {
        BufferedReader r = new BufferedReader(new InputStreamReader(tcpdump.getInputStream(), StandardCharsets.UTF_8));
        String line = r.readLine();
        while (line != null && !line.contains("listening on")) {
            line = r.readLine();
        }
        assertTrue(line != null, "tcpdump did not start");
        Thread.ofPlatform().daemon().start(() -> {
            try {
                r.transferTo(java.io.Writer.nullWriter());
            } catch (java.io.IOException ignored) {
                // tcpdump ended
            }
        });
    }
}
