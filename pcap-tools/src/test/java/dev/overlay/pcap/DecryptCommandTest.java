package dev.overlay.pcap;

import static dev.overlay.pcap.EspToolsFixture.cli;
import static dev.overlay.pcap.EspToolsFixture.frames;
import static dev.overlay.pcap.EspToolsFixture.root;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code pcap decrypt} read by tshark: no ESP left, the overlay in the clear, the rewritten IPv4
 * header checksum valid; non-ESP packets copied byte for byte; ESP that fails dropped and counted.
 */
class DecryptCommandTest {
    private static final Path TRUNK = root().resolve("test-pcaps/tenants-trunk.pcapng");

    @TempDir
    Path dir;

    private String config(String mode, boolean ipv6, boolean udp) {
        Random random = new Random(mode.hashCode() * 31 + (ipv6 ? 2 : 0) + (udp ? 1 : 0));
        String sas = EspToolsFixture.sa(0x1001, "out", "aes-gcm-128", 16, EspToolsFixture.randomBytes(random, 20),
                null, null, mode, null)
                + EspToolsFixture.sa(0x2001, "in", "aes-cbc-128", null, EspToolsFixture.randomBytes(random, 16),
                "hmac-sha256-128", EspToolsFixture.randomBytes(random, 32), mode, null);
        return EspToolsFixture.write(dir.resolve("gw-a.yaml"), ipv6
                ? EspToolsFixture.config("2001:db8::1", "2001:db8::2", udp, sas)
                : EspToolsFixture.config("192.0.2.1", "192.0.2.2", udp, sas)).toString();
    }

    @ParameterizedTest(name = "{0}, IPv6 {1}, ESP in UDP {2}")
    @CsvSource({"transport,false,true", "transport,false,false", "transport,true,true", "transport,true,false",
            "tunnel,false,true", "tunnel,false,false", "tunnel,true,true", "tunnel,true,false"})
    void tsharkReadsPlainVxlanAndGeneveWithValidChecksumsAfterDecrypt(String mode, boolean ipv6, boolean udp) {
        String config = config(mode, ipv6, udp);
        Path wire = dir.resolve("wire.pcap");
        Path clear = dir.resolve("clear.pcap");
        cli("pcap", "encode", "--config", config, "--in", TRUNK, "--out", wire).expect(0);
        EspToolsFixture.Cli run = cli("pcap", "decrypt", "--config", config, "--in", wire, "--out", clear).expect(0);
        assertTrue(run.err().strip().endsWith("packets in 32, out 32, dropped 0"), run.err());

        List<WiresharkKeysTest.Expected> expected = WiresharkKeysTest.trunkFrames();
        List<byte[]> out = frames(clear);
        List<String[]> rows = EspToolsFixture.tshark(clear, null, List.of("ip.check_checksum:TRUE"),
                "esp.spi", "vxlan.vni", "geneve.vni", "ip.checksum.status", "eth.type", "ip.proto", "ipv6.nxt",
                "udp.dstport", "_ws.expert.severity");
        assertEquals(expected.size(), out.size());
        assertEquals(expected.size(), rows.size());
        for (int i = 0; i < rows.size(); i++) {
            String[] row = rows.get(i);
            WiresharkKeysTest.Expected e = expected.get(i);
            String at = mode + " packet " + (i + 1);
            assertEquals("", row[0], at + ": no ESP left");
            assertEquals(String.valueOf(e.vni()), e.vni() == 1001 ? row[1] : String.valueOf(Integer.decode(row[2])), at);
            byte[] frame = out.get(i);
            assertArrayEquals(e.frame(), Arrays.copyOfRange(frame, frame.length - e.frame().length, frame.length),
                    at + ": the inner frame ends the packet");
            String outerType = row[4].split("\\|")[0];
            assertEquals(ipv6 ? "0x86dd" : "0x0800", outerType, at);
            if (!ipv6) {
                // Every IPv4 header (the rewritten outer one, and in tunnel mode the inner one) checks.
                assertTrue(Arrays.stream(row[3].split("\\|")).allMatch("1"::equals), at + ": checksums " + row[3]);
                assertEquals("17", row[5].split("\\|")[0], at + ": protocol is UDP");
            } else {
                assertEquals("17", row[6].split("\\|")[0], at + ": next header is UDP");
            }
            assertEquals(e.vni() == 1001 ? "4789" : "6081", row[7].split("\\|")[0], at + ": the overlay's UDP comes first");
            // Warnings are expected (the tenants' overlapping addresses look like duplicates); errors
            // (a malformed packet, a bad checksum) are not. 0x00800000 is PI_ERROR.
            assertTrue(Arrays.stream(row[8].split("\\|")).filter(s -> !s.isEmpty()).mapToLong(Long::parseLong)
                    .allMatch(severity -> severity < 0x00800000), at + ": tshark reports an error (" + row[8] + ")");
        }
    }

    @Test
    void nonEspPacketsAreCopiedByteForByte() {
        String config = config("transport", false, true);
        Path wire = dir.resolve("wire.pcap");
        cli("pcap", "encode", "--config", config, "--in", TRUNK, "--out", wire).expect(0);
        List<byte[]> packets = new ArrayList<>(frames(wire).subList(0, 2));
        byte[] ike = udpTo4500(new byte[] {0, 0, 0, 0, 1, 2, 3, 4}); // RFC 3948 non-ESP marker
        byte[] keepalive = udpTo4500(new byte[] {(byte) 0xFF}); // RFC 3948 NAT keepalive
        byte[] arp = frames(TRUNK).get(0);
        packets.addAll(List.of(ike, keepalive, arp));
        Path in = dir.resolve("mixed.pcap");
        EspToolsFixture.writeCapture(in, packets);
        Path clear = dir.resolve("clear.pcap");
        EspToolsFixture.Cli run = cli("pcap", "decrypt", "--config", config, "--in", in, "--out", clear).expect(0);
        assertTrue(run.err().contains("packets in 5, out 5, dropped 0"), run.err());
        List<byte[]> out = frames(clear);
        assertArrayEquals(ike, out.get(2));
        assertArrayEquals(keepalive, out.get(3));
        assertArrayEquals(arp, out.get(4));
    }

    @Test
    void espThatFailsIsDroppedAndCountedByReasonAndStrictExitsThree() {
        String config = config("transport", false, true);
        Path wire = dir.resolve("wire.pcap");
        cli("pcap", "encode", "--config", config, "--in", TRUNK, "--out", wire).expect(0);
        List<byte[]> packets = new ArrayList<>(frames(wire).subList(0, 4));
        packets.add(packets.get(0).clone()); // replayed
        byte[] corrupt = packets.remove(2);
        corrupt[corrupt.length - 1] ^= 1; // a bit of the ICV
        packets.add(corrupt);
        byte[] unknown = packets.get(1).clone();
        unknown[14 + 20 + 8 + 3] ^= 0x70; // the SPI's low byte: no such SA
        packets.add(unknown);
        Path in = dir.resolve("bad.pcap");
        EspToolsFixture.writeCapture(in, packets);
        Path clear = dir.resolve("clear.pcap");
        EspToolsFixture.Cli run = cli("pcap", "decrypt", "--config", config, "--in", in, "--out", clear).expect(0);
        assertTrue(run.err().contains("packets in 6, out 3, dropped 3 (unknown-spi=1, replay=1, integrity=1)"), run.err());
        assertEquals(3, frames(clear).size());
        cli("pcap", "decrypt", "--config", config, "--in", in, "--out", clear, "--strict").expect(Summary.EXIT_DROPPED);
        EspToolsFixture.Cli lenient = cli("pcap", "decrypt", "--config", config, "--in", in, "--out", clear,
                "--no-replay-check").expect(0);
        assertTrue(lenient.err().contains("packets in 6, out 4, dropped 2 (unknown-spi=1, integrity=1)"), lenient.err());
    }

    @Test
    void aCaptureThatIsNotACaptureIsExitOne() {
        Path bogus = EspToolsFixture.write(dir.resolve("bogus.pcap"), "not a capture");
        cli("pcap", "decrypt", "--config", config("transport", false, true), "--in", bogus,
                "--out", dir.resolve("o.pcap")).expect(1);
    }

    /** Ethernet / IPv4 192.0.2.2 -> 192.0.2.1 / UDP 4500 -> 4500 / payload, checksums valid. */
    static byte[] udpTo4500(byte[] payload) {
        byte[] p = new byte[14 + 20 + 8 + payload.length];
        byte[] head = EspToolsFixture.HEX.parseHex("020000000a01020000000b010800");
        System.arraycopy(head, 0, p, 0, 14);
        int total = 20 + 8 + payload.length;
        byte[] ip = EspToolsFixture.HEX.parseHex("4500" + String.format("%04x", total) + "000040004011" + "0000"
                + "c0000202c0000201");
        int sum = 0;
        for (int i = 0; i < 20; i += 2) {
            sum += ((ip[i] & 0xFF) << 8) | (ip[i + 1] & 0xFF);
        }
        sum = (sum & 0xFFFF) + (sum >>> 16);
        sum = (sum & 0xFFFF) + (sum >>> 16);
        ip[10] = (byte) (~sum >>> 8);
        ip[11] = (byte) ~sum;
        System.arraycopy(ip, 0, p, 14, 20);
        byte[] udp = EspToolsFixture.HEX.parseHex("11941194" + String.format("%04x", 8 + payload.length) + "0000");
        System.arraycopy(udp, 0, p, 34, 8);
        System.arraycopy(payload, 0, p, 42, payload.length);
        return p;
    }
}
