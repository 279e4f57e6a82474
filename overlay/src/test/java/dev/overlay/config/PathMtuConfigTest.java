package dev.overlay.config;

import static dev.overlay.config.Fixtures.assertError;
import static dev.overlay.config.Fixtures.assertValid;
import static dev.overlay.config.Fixtures.assertWarning;
import static dev.overlay.config.Fixtures.base;
import static dev.overlay.config.Fixtures.parse;
import static dev.overlay.config.Fixtures.replace;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.esp.EspAlgorithm;
import org.junit.jupiter.api.Test;

/** {@code tenants.*.mss-clamp}, {@code gateway.underlay-fragmentation}, and what {@code check} says of them. */
class PathMtuConfigTest {

    @Test
    void mssClampDefaultsToOffAndTakesAutoOffOrANumber() {
        OverlayConfig c = assertValid(parse(Fixtures.BASE));
        assertEquals(MssClampConfig.OFF, c.tenants().get("blue").mssClamp());
        MssClampConfig auto = assertValid(parse(base("vni: 1001", "vni: 1001\n    mss-clamp: auto")))
                .tenants().get("blue").mssClamp();
        assertEquals(1368, auto.ipv4(1408));
        assertEquals(1348, auto.ipv6(1408));
        MssClampConfig fixed = assertValid(parse(base("vni: 1001", "vni: 1001\n    mss-clamp: 1300")))
                .tenants().get("blue").mssClamp();
        assertEquals(1300, fixed.ipv4(1408));
        assertEquals(1280, fixed.ipv6(1408), "IPv6 20 bytes less: packets of one size in both families");
        assertEquals(MssClampConfig.OFF, assertValid(parse(base("vni: 1001", "vni: 1001\n    mss-clamp: off")))
                .tenants().get("blue").mssClamp());
    }

    @Test
    void aBadMssClampIsOneErrorWithItsLine() {
        assertError(parse(base("vni: 1001", "vni: 1001\n    mss-clamp: autp")), "tenants.blue.mss-clamp", 10,
                "mss-clamp 'autp' is not auto, off or a number (did you mean 'auto'?)");
        assertError(parse(base("vni: 1001", "vni: 1001\n    mss-clamp: 100")), "tenants.blue.mss-clamp", 10,
                "mss-clamp 100 is out of range (expected 536..65495)");
        assertError(parse(base("vni: 1001", "vni: 1001\n    mss-clamp: [1]")), "tenants.blue.mss-clamp", 10,
                "expected a single value");
    }

    @Test
    void aNumberAboveWhatFitsIsWarnedAbout() {
        ConfigResult r = parse(base("vni: 1001", "vni: 1001\n    mss-clamp: 1460"));
        assertValid(r);
        assertEquals("test.yaml:10: tenants.blue.mss-clamp: warning: mss-clamp 1460 lets TCP send packets of 1500"
                + " bytes, above the tenant MTU 1408 (auto would clamp to 1368)",
                assertWarning(r, "tenants.blue.mss-clamp", "above the tenant MTU").toString());
    }

    @Test
    void underlayFragmentationIsDfUnlessAllowed() {
        assertEquals(GatewayConfig.UnderlayFragmentation.DF, assertValid(parse(Fixtures.BASE)).gateway().underlayFragmentation());
        OverlayConfig allow = assertValid(parse(base("address: 192.0.2.1",
                "address: 192.0.2.1\n  underlay-fragmentation: allow")));
        assertTrue(allow.gateway().fragmentationAllowed());
        assertError(parse(base("address: 192.0.2.1", "address: 192.0.2.1\n  underlay-fragmentation: yes")),
                "gateway.underlay-fragmentation", 4, "underlay-fragmentation 'yes' is not one of df, allow");
    }

    @Test
    void withAllowTheTenantMtuIsTheUnderlayMtuInTwoFragments() {
        // 1500 bytes of tenant packet: 1500 + 30 (eth, vxlan, udp) + 2 = 1532 padded to 4 = 1532,
        // + 20 + 8 + 8 + 8 + 16 = 1592 bytes of outer IPv4: 1480 + 112 bytes of data, two fragments.
        TenantMtu m = TenantMtu.compute(1500, false, true, EspAlgorithm.AES_GCM_256, 16, false,
                TenantConfig.Encapsulation.VXLAN, 0, null, true);
        assertEquals(1500, m.mtu());
        assertEquals(1408, m.unfragmented());
        assertEquals(1592, m.outerLength());
        assertEquals(2, m.fragments());
        assertTrue(m.breakdown().endsWith("= 1408"), m.breakdown());
        // IPv6: 1500 - 40 - 8 = 1452, 1448 bytes of data per fragment; 1612 - 40 = 1572: two.
        TenantMtu v6 = TenantMtu.compute(1500, true, true, EspAlgorithm.AES_GCM_256, 16, false,
                TenantConfig.Encapsulation.VXLAN, 0, null, true);
        assertEquals(1612, v6.outerLength());
        assertEquals(2, v6.fragments());
        // A jumbo underlay is bounded by what a gateway reads in one datagram (9216 bytes).
        TenantMtu jumbo = TenantMtu.compute(65535, false, true, EspAlgorithm.AES_GCM_256, 16, false,
                TenantConfig.Encapsulation.VXLAN, 0, null, true);
        assertTrue(jumbo.outerLength() <= TenantMtu.MAX_OUTER_PACKET, jumbo.toString());
        assertEquals(jumbo.mtu(), TenantMtu.compute(TenantMtu.MAX_OUTER_PACKET, false, true, EspAlgorithm.AES_GCM_256,
                16, false, TenantConfig.Encapsulation.VXLAN, 0, null).mtu());
        // df: the arithmetic alone, one outer packet within the underlay MTU.
        TenantMtu df = TenantMtu.compute(1500, false, true, EspAlgorithm.AES_GCM_256, 16, false,
                TenantConfig.Encapsulation.VXLAN, 0, null, false);
        assertEquals(1408, df.mtu());
        assertEquals(1500, df.outerLength());
        assertEquals(1, df.fragments());
    }

    @Test
    void checkSaysWhatHappensToLargerFrames() {
        String yaml = replace(base("vni: 1001", "vni: 1001\n    mss-clamp: auto"), "address: 192.0.2.1",
                "address: 192.0.2.1\n  underlay-fragmentation: df");
        String text = new CheckReport(assertValid(parse(yaml)), java.util.List.of()).render();
        assertTrue(text.contains("  underlay-fragmentation df (outer packets carry DF: the tenant MTU is what fits"
                + " unfragmented)\n"), text);
        assertTrue(text.contains("  mtu 1408 (1500 - 20 ipv4 - 8 udp-encap - 8 esp - 8 iv - 8 udp - 8 vxlan - 14 eth"
                + " - 2 esp-trailer - 16 icv = 1408, worst case: spi 0x00001001); larger frames: ICMP"
                + " fragmentation-needed (IPv4 with DF) / packet-too-big (IPv6) to the sender, IPv4 without DF"
                + " fragmented, others dropped (too-big), mss clamped to 1368/1348 (IPv4/IPv6, mss-clamp auto)\n"), text);
        String allow = new CheckReport(assertValid(parse(base("address: 192.0.2.1",
                "address: 192.0.2.1\n  underlay-fragmentation: allow"))), java.util.List.of()).render();
        assertTrue(allow.contains("  mtu 1500 (underlay-fragmentation allow: 1592-byte outer packets in 2 fragments;"
                + " unfragmented limit 1500 - 20 ipv4 - "), allow);
        assertTrue(allow.contains("mss-clamp off\n"), allow);
        String json = new CheckReport(assertValid(parse(yaml)), java.util.List.of()).renderJson();
        assertTrue(json.contains("\"underlay-fragmentation\":\"df\""), json);
        assertTrue(json.contains("\"mss-clamp\":{\"mode\":\"auto\",\"ipv4\":1368,\"ipv6\":1348}"), json);
        assertTrue(json.contains("\"mtu-unfragmented\":1408,\"outer-packet\":1500,\"outer-fragments\":1"), json);
    }
}
