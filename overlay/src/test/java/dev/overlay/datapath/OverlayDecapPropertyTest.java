package dev.overlay.datapath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.config.ConfigErrors;
import dev.overlay.config.ConfigLoader;
import dev.overlay.config.ConfigResult;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.file.Path;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * OverlayDecap against malformed input: every truncation of valid wire packets (VXLAN, Geneve
 * with options, ESP-in-UDP with AES-GCM; IPv4 and IPv6 underlay) and random corruption of their
 * header bytes. Never an exception; either a decode whose frame lies inside the buffer, or
 * exactly one drop counted (DropCounts.total() up by one); the caller's buffer is neither
 * released nor retained by the stage, so releasing it once frees it.
 */
class OverlayDecapPropertyTest {
    private static final PooledByteBufAllocator ALLOC = new PooledByteBufAllocator(false);

    private static final String TENANTS = """
            tenants:
              blue: { vni: 1001, encapsulation: vxlan, security: none, peers: [gw-b] }
              red:
                vni: 1002
                encapsulation: geneve
                security: none
                peers: [gw-b]
                geneve-options:
                  - { class: 0x0102, type: 0x81, data: "0x0000000a" }
                  - { class: 0x0103, type: 0x02, data: "0x0102030405060708" }
              green: { vni: 1003, encapsulation: vxlan, peers: [gw-b] }
            security-associations:
              - { spi: 0x1001, direction: out, peer: gw-b, tenants: [green], algorithm: aes-gcm-256,
                  key: "0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff01020304" }
              - { spi: 0x2001, direction: in, peer: gw-b, tenants: [green], algorithm: aes-gcm-256,
                  key: "0xffeeddccbbaa99887766554433221100ffeeddccbbaa9988776655443322110001020304" }
            """;

    private static final Topology V4 = topology("192.0.2.1", "192.0.2.2");
    private static final Topology V6 = topology("2001:db8::1", "2001:db8::2");

    private static Topology topology(String gateway, String peer) {
        String yaml = "gateway: { name: gw-a, address: \"" + gateway + "\" }\n"
                + "peers:\n  gw-b: { address: \"" + peer + "\" }\n" + TENANTS;
        ConfigResult r = ConfigLoader.parse(Path.of("decap-property.yaml"), yaml);
        assertTrue(r.ok(), () -> ConfigErrors.format(r.errors()));
        return Topology.of(r.orThrow());
    }

    /** One valid wire packet: {@code tenant}'s frame of {@code innerLength} bytes toward gw-b. */
    private static byte[] wirePacket(Topology topology, String tenant, int innerLength, int seed) {
        byte[] frame = new byte[innerLength];
        for (int i = 0; i < frame.length; i++) {
            frame[i] = (byte) (seed * 31 + i * 7);
        }
        frame[0] = 0x02; // unicast destination MAC
        frame[12] = 0x08;
        frame[13] = 0x00;
        Tenant t = topology.tenant(tenant);
        OverlayEncap encap = new OverlayEncap(topology, SaTable.of(topology, false));
        ByteBuf buf = Buffers.frame(ALLOC, frame, 0, frame.length);
        try {
            DropCounts drops = new DropCounts();
            assertTrue(encap.encapsulate(buf, t, t.peers().get(0), drops), drops::toString);
            return ByteBufUtil.getBytes(buf);
        } finally {
            buf.release();
        }
    }

    /**
     * Decapsulates {@code bytes} (a fresh decoder each time, with replay checking on, so a replay
     * is one more drop reason) and checks the one-outcome rule and buffer ownership.
     */
    private static boolean decapOnce(Topology topology, byte[] bytes, int offset, int length) {
        return decapOnce(topology, bytes, offset, length, true);
    }

    private static boolean decapOnce(Topology topology, byte[] bytes, int offset, int length, boolean verifyUdp) {
        OverlayDecap decap = new OverlayDecap(topology, SaTable.of(topology, true), verifyUdp);
        OverlayDecap.Result result = new OverlayDecap.Result();
        DropCounts drops = new DropCounts();
        ByteBuf pkt = ALLOC.buffer(length);
        pkt.writeBytes(bytes, offset, length);
        try {
            boolean ok = decap.decapsulate(pkt, result, drops);
            if (ok) {
                assertEquals(0, drops.total(), drops::toString);
                assertNotNull(result.tenant);
                assertTrue(pkt.readerIndex() >= 0 && pkt.readerIndex() <= pkt.writerIndex()
                        && pkt.writerIndex() <= length, "frame inside the packet");
                assertTrue(pkt.readableBytes() >= 14, "at least an Ethernet header");
            } else {
                assertEquals(1, drops.total(), () -> "exactly one drop, got " + drops);
            }
            assertEquals(1, pkt.refCnt(), "the caller keeps ownership");
            return ok;
        } finally {
            assertTrue(pkt.release());
        }
    }

    @Provide
    Arbitrary<String> tenant() {
        return Arbitraries.of("blue", "red", "green");
    }

    @Property(tries = 60)
    void everyTruncationDropsExactlyOnceOrDecodes(@ForAll("tenant") String tenant, @ForAll boolean ipv6,
            @ForAll @IntRange(min = 14, max = 200) int innerLength, @ForAll int seed) {
        Topology topology = ipv6 ? V6 : V4;
        byte[] wire = wirePacket(topology, tenant, innerLength, seed);
        assertTrue(decapOnce(topology, wire, 0, wire.length), "the whole packet decodes");
        for (int length = 0; length < wire.length; length++) {
            decapOnce(topology, wire, 0, length);
        }
    }

    @Property(tries = 2000)
    void corruptedHeaderBytesDropExactlyOnceOrDecode(@ForAll("tenant") String tenant, @ForAll boolean ipv6,
            @ForAll @IntRange(min = 14, max = 120) int innerLength,
            @ForAll @Size(min = 1, max = 4) List<@IntRange(max = 150) Integer> positions,
            @ForAll @Size(min = 4, max = 4) List<@IntRange(min = 1, max = 255) Integer> masks) {
        Topology topology = ipv6 ? V6 : V4;
        byte[] wire = wirePacket(topology, tenant, innerLength, innerLength);
        // The headers are the first 14 + 40 + 8 + 8 + 16 (Geneve options, or ESP and its UDP)
        // bytes at most; positions past them land in the payload, which the stage must also survive.
        for (int i = 0; i < positions.size(); i++) {
            int at = positions.get(i) % wire.length;
            wire[at] ^= (byte) (int) masks.get(i);
        }
        decapOnce(topology, wire, 0, wire.length);
    }

    @Property(tries = 1000)
    void randomBytesDropExactlyOnceOrDecode(@ForAll @Size(max = 300) byte[] bytes, @ForAll boolean ipv6) {
        decapOnce(ipv6 ? V6 : V4, bytes, 0, bytes.length);
    }

    @Property(tries = 500)
    void randomPayloadBehindValidOuterHeadersDropsExactlyOnceOrDecodes(@ForAll("tenant") String tenant,
            @ForAll boolean ipv6, @ForAll @Size(min = 1, max = 200) byte[] payload) {
        // Valid Ethernet / IP / UDP to the tenant's port, then garbage where VXLAN, Geneve or ESP
        // should be: the overlay parsers get inputs the outer parser did not already refuse.
        Topology topology = ipv6 ? V6 : V4;
        byte[] wire = wirePacket(topology, tenant, 14, 1);
        int headers = 14 + (ipv6 ? 40 : 20) + 8;
        byte[] mixed = new byte[headers + payload.length];
        System.arraycopy(wire, 0, mixed, 0, headers);
        System.arraycopy(payload, 0, mixed, headers, payload.length);
        // Fix the IP and UDP lengths (and the IPv4 header checksum) to the new size so the outer
        // parser lets it through; the UDP checksum is not verified here, as pcap decode's default.
        int udpLength = 8 + payload.length;
        if (ipv6) {
            putShort(mixed, 14 + 4, udpLength);
        } else {
            putShort(mixed, 14 + 2, 20 + udpLength);
            putShort(mixed, 14 + 10, 0);
            putShort(mixed, 14 + 10, ipv4HeaderChecksum(mixed, 14));
        }
        putShort(mixed, headers - 4, udpLength);
        decapOnce(topology, mixed, 0, mixed.length, false);
    }

    /** RFC 1071 over the 20-byte IPv4 header at {@code at}. */
    private static int ipv4HeaderChecksum(byte[] b, int at) {
        int sum = 0;
        for (int i = at; i < at + 20; i += 2) {
            sum += ((b[i] & 0xFF) << 8) | (b[i + 1] & 0xFF);
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return ~sum & 0xFFFF;
    }

    private static void putShort(byte[] b, int at, int value) {
        b[at] = (byte) (value >>> 8);
        b[at + 1] = (byte) value;
    }
}
