package dev.overlay.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.cli.Main;
import io.netty.util.ResourceLeakDetector;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code overlay demo --netns}: ping and iperf3 between namespaces on TAP ports, and on pcap ports
 * ({@code --ports pcap}). Needs root, which CI has: without it the test fails rather than skips
 * (the demo's refusal is checked instead).
 */
class NetnsDemoTest {
    @Test
    void pingAndIperf3CrossTheOverlayInEachTenantAndEveryNamespaceIsGoneAfterwards() {
        String text = demoCrossesAndCleansUp("demo", "--netns", "--seconds", "1", "--root", LiveDemoTest.ROOT.toString());
        assertTrue(text.contains("on TAP ports at MTU 1500"), text);
    }

    /**
     * The hosts on veth pairs whose other ends are pcap ports, at the veth's defaults (MTU 1500,
     * TSO and checksum offload on): the issue-11 set-up a new user tries first.
     */
    @Test
    void theSameThroughPcapPortsOnVethPairs() {
        String text = demoCrossesAndCleansUp("demo", "--netns", "--ports", "pcap", "--seconds", "1", "--root",
                LiveDemoTest.ROOT.toString());
        assertTrue(text.contains("on veths whose other ends are the gateways' pcap ports at MTU 1500"), text);
    }

    @Test
    void anUnknownPortKindOrPcapWithoutNetnsIsOneSentence() {
        for (String[] args : List.of(new String[] {"demo", "--netns", "--ports", "udp"}, new String[] {"demo", "--ports", "pcap"})) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int status = Main.run(args, new PrintWriter(out), new PrintWriter(err));
            assertEquals(2, status, () -> out + "" + err);
            assertTrue(err.toString().contains("--ports"), err::toString);
            assertFalse(err.toString().contains("\tat "), "no stack trace: " + err);
        }
    }

    /** Runs the demo with {@code args}, checks its table and that no namespace or interface is left; its output. */
    private static String demoCrossesAndCleansUp(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        String text = out.toString();
        assertTrue(Shell.root(), "demo --netns creates namespaces and TAP devices: run the tests as root (CI does)");
        assertEquals(0, status, () -> text + err);
        for (String tenant : List.of("blue", "red")) {
            Matcher row = Pattern.compile("(?m)^" + tenant + "\\s+(\\d+)/(\\d+)\\s+0%\\s+[\\d.]+/[\\d.]+/[\\d.]+\\s+(\\d+) Mbit/s\\s+\\d+\\s+(\\d+)\\s+(\\d+)$")
                    .matcher(text);
            assertTrue(row.find(), () -> tenant + " row:\n" + text);
            assertEquals(row.group(1), row.group(2), text);
            assertTrue(Integer.parseInt(row.group(3)) > 0, text);
            assertEquals("1408", row.group(4), "the tenant's kernel learned the overlay's MTU from the gateways' ICMP:\n"
                    + text);
            assertEquals("0", row.group(5), "the other tenant saw frames:\n" + text);
        }
        // Surefire runs PARANOID, which alone takes iperf3 from Gbit/s to tens of Mbit/s: the table must say so.
        assertEquals(NetnsDemo.leakDetectionNote(ResourceLeakDetector.getLevel()).isPresent(),
                text.contains("the iperf3 figures measure the detector"), text);
        Matcher id = Pattern.compile("namespaces ovl-blue-a-([0-9a-f]{4})").matcher(text);
        assertTrue(id.find(), text);
        String namespaces = Shell.run(10, List.of("ip", "netns", "list")).out();
        assertFalse(namespaces.contains("-" + id.group(1)), "namespaces left behind:\n" + namespaces);
        String links = Shell.run(10, List.of("ip", "-o", "link")).out();
        assertFalse(links.contains("-" + id.group(1)), "TAP devices or veths left behind:\n" + links);
        return text;
    }

    @Test
    void iperf3FiguresAreFlaggedOnlyWhenTheLeakDetectorTracesEveryBufferAccess() {
        assertTrue(NetnsDemo.leakDetectionNote(ResourceLeakDetector.Level.DISABLED).isEmpty());
        assertTrue(NetnsDemo.leakDetectionNote(ResourceLeakDetector.Level.SIMPLE).isEmpty());
        assertTrue(NetnsDemo.leakDetectionNote(ResourceLeakDetector.Level.ADVANCED).isEmpty());
        assertTrue(NetnsDemo.leakDetectionNote(ResourceLeakDetector.Level.PARANOID).orElseThrow().contains("PARANOID"));
    }
}
