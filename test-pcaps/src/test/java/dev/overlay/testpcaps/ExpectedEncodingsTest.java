package dev.overlay.testpcaps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.overlay.cli.Main;
import dev.overlay.pcap.capture.CaptureReader;
import dev.overlay.pcap.capture.CapturedPacket;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The expected encodings in test-pcaps/expected/: each committed capture encoded under a committed
 * config (configs/*.yaml) must give the committed wire capture byte for byte, its tshark listing
 * (*.txt) must be what tshark prints for it, and decoding it must give the original frames back.
 *
 * <p>After a deliberate change of the wire format, regenerate with
 * {@code test-pcaps/scripts/regenerate-expected.sh} (this test with {@code -Dregenerate=true}),
 * look at the diff of the *.txt listings, and commit the files with the change.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class) // with -Dregenerate, the listing needs the capture first
class ExpectedEncodingsTest {
    private static final boolean REGENERATE = Boolean.getBoolean("regenerate");
    /** The trunk's two frames of no tenant: frame 6 (untagged) and frame 21 (VLAN 999). */
    private static final int TRUNK_FRAMES = 34;
    private static final int TRUNK_NO_TENANT = 2;
    /** The listing's columns: tshark's summary with the outer addresses, UDP port and VNI before the inner protocol. */
    private static final String LISTING_COLUMNS = "gui.column.format:\"No.\",\"%m\",\"Time\",\"%t\","
            + "\"Outer source\",\"%Cus:ip.src or ipv6.src:1\",\"Outer destination\",\"%Cus:ip.dst or ipv6.dst:1\","
            + "\"UDP port\",\"%Cus:udp.dstport:1\",\"VNI\",\"%Cus:vxlan.vni or geneve.vni\","
            + "\"Protocol\",\"%p\",\"Length\",\"%L\",\"Info\",\"%i\"";
    private static final String LISTING_HEADER =
            "# tshark -n -r FILE: no., time, outer source, outer destination, UDP port, VNI, protocol, length, info\n";

    @TempDir
    Path tmp;

    /** One expected encoding: {@code capture} under configs/{@code config}.yaml, with --tenant when not null. */
    record Case(String capture, String config, String tenant) {
        String expectedName() {
            return capture.substring(0, capture.indexOf('.')) + "." + config;
        }

        Path expectedPcap() {
            return Tools.moduleDir().resolve("expected").resolve(expectedName() + ".pcap");
        }

        Path expectedListing() {
            return Tools.moduleDir().resolve("expected").resolve(expectedName() + ".txt");
        }

        Path configFile() {
            return Tools.moduleDir().resolve("configs").resolve(config + ".yaml");
        }

        boolean trunk() {
            return tenant == null;
        }

        @Override
        public String toString() {
            return expectedName();
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("tenant-blue.pcap", "cleartext", "blue"),
                new Case("tenant-red.pcap", "cleartext", "red"),
                new Case("tenant-blue-nsec.pcap", "cleartext", "blue"),
                new Case("tenants-trunk.pcapng", "cleartext", null),
                new Case("tenants-trunk.pcapng", "cleartext-ipv6", null),
                new Case("tenants-trunk.pcapng", "esp-gcm256", null),
                new Case("tenant-red.pcap", "esp-gcm256", "red"));
    }

    @Order(1)
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void reEncodingGivesTheExpectedCaptureByteForByte(Case c) throws IOException {
        Path out = tmp.resolve("wire.pcap");
        List<String> args = new ArrayList<>(List.of("pcap", "encode", "--config", c.configFile().toString(),
                "--in", Tools.capture(c.capture()).toString(), "--out", out.toString()));
        if (c.tenant() != null) {
            args.addAll(List.of("--tenant", c.tenant()));
        }
        String summary = overlay(args);
        assertEquals(c.trunk() ? "packets in 34, out 32, dropped 2 (no-tenant=2)" : "packets in 16, out 16, dropped 0",
                summary);
        byte[] encoded = Files.readAllBytes(out);
        if (REGENERATE) {
            Files.createDirectories(c.expectedPcap().getParent());
            Files.write(c.expectedPcap(), encoded);
        }
        byte[] expected = Files.readAllBytes(c.expectedPcap());
        assertEquals(-1, Arrays.mismatch(expected, encoded),
                () -> c + ": the encoding changed at byte " + Arrays.mismatch(expected, encoded)
                        + "; if that is deliberate, run test-pcaps/scripts/regenerate-expected.sh and commit the diff");
    }

    @Order(2)
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void listingIsWhatTsharkPrints(Case c) throws IOException {
        String listing = LISTING_HEADER + normalized(Tools.run(List.of("tshark", "-n", "-r", c.expectedPcap().toString(),
                "-o", LISTING_COLUMNS)));
        if (REGENERATE) {
            Files.writeString(c.expectedListing(), listing);
        }
        assertEquals(Files.readString(c.expectedListing()), listing, c + ".txt");
        assertEquals(c.trunk() ? TRUNK_FRAMES - TRUNK_NO_TENANT : 16, listing.lines().count() - 1);
    }

    @Order(3)
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void decodingGivesTheOriginalFramesBack(Case c) throws IOException {
        List<CapturedPacket> original = read(Tools.capture(c.capture()));
        Path frames = tmp.resolve("frames.pcap");
        // For the trunk, --tag-vlan puts back the tag encode removed: the trunk without its no-tenant frames.
        List<String> args = new ArrayList<>(List.of("pcap", "decode", "--config", c.configFile().toString(),
                "--in", c.expectedPcap().toString(), "--out", frames.toString()));
        if (c.trunk()) {
            args.add("--tag-vlan");
        }
        int wire = c.trunk() ? TRUNK_FRAMES - TRUNK_NO_TENANT : 16;
        assertEquals("packets in " + wire + ", out " + wire + ", dropped 0", overlay(args));
        List<CapturedPacket> expected = original.stream().filter(p -> !c.trunk() || tenantTag(p.bytes())).toList();
        List<CapturedPacket> decoded = read(frames);
        assertEquals(expected.size(), decoded.size());
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i).bytes(), decoded.get(i).bytes(), c + " frame " + (i + 1));
            assertEquals(expected.get(i).epochNanos(), decoded.get(i).epochNanos(), c + " frame " + (i + 1));
        }
    }

    /** Whether a trunk frame carries VLAN 101 or 102 (a tenant's), as every frame but 6 and 21 does. */
    private static boolean tenantTag(byte[] frame) {
        if ((frame[12] & 0xFF) != 0x81 || frame[13] != 0) {
            return false;
        }
        int vid = ((frame[14] & 0x0F) << 8) | (frame[15] & 0xFF);
        return vid == 101 || vid == 102;
    }

    /** Runs bin/overlay in-process; fails unless it exits 0; returns its summary line. */
    private static String overlay(List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Main.run(args.toArray(String[]::new), new PrintWriter(out), new PrintWriter(err));
        if (status != 0) {
            fail("overlay " + String.join(" ", args) + " exited " + status + ":\n" + err);
        }
        List<String> lines = err.toString().strip().lines().toList();
        return lines.get(lines.size() - 1);
    }

    private static List<CapturedPacket> read(Path capture) throws IOException {
        List<CapturedPacket> packets = new ArrayList<>();
        try (CaptureReader reader = CaptureReader.open(capture)) {
            CapturedPacket p;
            while ((p = reader.next()) != null) {
                packets.add(p);
            }
        }
        assertTrue(!packets.isEmpty(), capture + " is empty");
        return packets;
    }

    /** tshark's one-line summaries with runs of column padding folded, one line per packet. */
    private static String normalized(String listing) {
        StringBuilder sb = new StringBuilder();
        listing.lines().forEach(line -> sb.append(line.strip().replaceAll(" {2,}", " ")).append('\n'));
        return sb.toString();
    }
}
