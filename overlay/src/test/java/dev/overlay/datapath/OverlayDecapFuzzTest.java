package dev.overlay.datapath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.config.ConfigErrors;
import dev.overlay.config.ConfigLoader;
import dev.overlay.config.ConfigResult;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Coverage-guided fuzzing (Jazzer) of the whole rx decapsulation: outer headers, classify, ESP
 * (AES-GCM-256 SAs, whose ICV the fuzzer cannot forge, and a NULL SA without integrity, through
 * which it reaches everything after esp-decrypt), the protected UDP, VXLAN or Geneve, the tenant
 * and security checks. Files under {@code OverlayDecapFuzzTestInputs/} replay in every test run;
 * {@code JAZZER_FUZZ=1} fuzzes (FUZZING.md). The jqwik {@link OverlayDecapPropertyTest} mutates
 * packets our encoder made; this one is led by coverage.
 *
 * <p>Input: byte 0 holds flags (bit 0: verify UDP checksums; bit 1: the IPv6 underlay topology;
 * bits 2-3: the entry point: wire frame, socket ESP payload, socket VXLAN payload, socket Geneve
 * payload); the rest is the packet.
 *
 * <p>Invariants: no exception and no hang; a packet is delivered with no drop counted, or
 * rejected with exactly one drop counted (DropCounts.total() up by one); the caller's buffer is
 * neither released nor retained.
 */
class OverlayDecapFuzzTest {
    private static final boolean FUZZING = System.getenv("JAZZER_FUZZ") != null;

    /**
     * The two ESP tenants and keys of test-pcaps/configs/esp-gcm256.yaml, so its expected
     * captures decode here; a NULL SA (no integrity: a config warning) for tenant green; two
     * cleartext tenants, one with a critical Geneve option it understands.
     */
    private static final String TENANTS = """
            tenants:
              blue: { vni: 1001, encapsulation: vxlan, peers: [gw-b] }
              red:
                vni: 1002
                encapsulation: geneve
                peers: [gw-b]
                geneve-options: [ { class: 0x0102, type: 0x01, data: "0x0000000a" } ]
              green: { vni: 1003, encapsulation: vxlan, peers: [gw-b] }
              plain-v: { vni: 2001, encapsulation: vxlan, security: none, peers: [gw-b] }
              plain-g:
                vni: 2002
                encapsulation: geneve
                security: none
                peers: [gw-b]
                geneve-options: [ { class: 0x0102, type: 0x81, data: "0x0000000a" } ]
            security-associations:
              - { spi: 0x1001, direction: out, peer: gw-b, tenants: [blue], algorithm: aes-gcm-256,
                  key: "0x4a0e2f6b1c93d85e7a4f0b21c6d3e89f5b7a2c14e0d9f36a8b1c5e72d4f0a9b301020304" }
              - { spi: 0x1002, direction: out, peer: gw-b, tenants: [red], algorithm: aes-gcm-256,
                  key: "0x9c1e5a7d3b0f2e4c6a8d1b3f5e7c9a0d2f4b6e8a1c3d5f7b9e0a2c4d6f8b1e3a05060708" }
              - { spi: 0x3001, direction: out, peer: gw-b, tenants: [green], algorithm: null, key: "" }
              - { spi: 0x3002, direction: in, peer: gw-b, tenants: [green], algorithm: null, key: "" }
            """;

    private static final Topology V4 = topology("192.0.2.1", "192.0.2.2");
    private static final Topology V6 = topology("2001:db8::1", "2001:db8::2");
    /** Replay checking off: every input is judged alone, so a replayed input behaves the same. */
    private static final OverlayDecap DECAP_V4 = new OverlayDecap(V4, SaTable.of(V4, false), false);
    private static final OverlayDecap DECAP_V4_CHECKSUMS = new OverlayDecap(V4, SaTable.of(V4, false), true);
    private static final OverlayDecap DECAP_V6 = new OverlayDecap(V6, SaTable.of(V6, false), false);
    private static final OverlayDecap DECAP_V6_CHECKSUMS = new OverlayDecap(V6, SaTable.of(V6, false), true);

    private static Topology topology(String gateway, String peer) {
        String yaml = "gateway: { name: gw-a, address: \"" + gateway + "\", esp-transport: udp }\n"
                + "peers:\n  gw-b: { address: \"" + peer + "\" }\n" + TENANTS;
        ConfigResult r = ConfigLoader.parse(Path.of("decap-fuzz.yaml"), yaml);
        assertTrue(r.ok(), () -> ConfigErrors.format(r.errors()));
        return Topology.of(r.orThrow());
    }

    @FuzzTest(maxDuration = "20s")
    void decapsulateArbitraryPacket(byte[] input) {
        if (input.length == 0) {
            return;
        }
        if (FUZZING) {
            run(input); // libFuzzer's -timeout watches for hangs
        } else {
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> run(input));
        }
    }

    private static void run(byte[] input) {
        int flags = input[0] & 0xFF;
        boolean checksums = (flags & 1) != 0;
        boolean ipv6 = (flags & 2) != 0;
        OverlayDecap decap = ipv6 ? (checksums ? DECAP_V6_CHECKSUMS : DECAP_V6)
                : (checksums ? DECAP_V4_CHECKSUMS : DECAP_V4);
        int entry = (flags >>> 2) & 3;
        int length = input.length - 1;
        ByteBuf pkt = Unpooled.buffer(Math.max(1, length), Math.max(1, length));
        pkt.writeBytes(input, 1, length);
        OverlayDecap.Result result = new OverlayDecap.Result();
        DropCounts drops = new DropCounts();
        try {
            boolean ok = switch (entry) {
                case 0 -> decap.decapsulate(pkt, result, drops);
                case 1 -> decap.decapsulateEsp(pkt, result, drops);
                default -> decap.decapsulateOverlay(pkt, entry == 3, result, drops);
            };
            if (ok) {
                assertEquals(0, drops.total(), drops::toString);
                assertNotNull(result.tenant);
                assertTrue(pkt.readerIndex() <= pkt.writerIndex() && pkt.writerIndex() <= length,
                        "the frame lies inside the packet");
                assertTrue(pkt.readableBytes() >= 14, "at least an Ethernet header");
                assertTrue(result.tenant.esp() == (result.sa != null), "esp tenants only through an SA");
            } else {
                assertEquals(1, drops.total(), () -> "exactly one drop, got " + drops);
            }
            assertEquals(1, pkt.refCnt(), "the caller keeps ownership");
        } finally {
            assertTrue(pkt.release());
        }
    }
}
