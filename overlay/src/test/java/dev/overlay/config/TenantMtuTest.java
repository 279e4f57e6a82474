package dev.overlay.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.esp.EspAlgorithm;
import dev.overlay.esp.IntegrityAlgorithm;
import org.junit.jupiter.api.Test;

class TenantMtuTest {

    private static final TenantConfig.Encapsulation VXLAN = TenantConfig.Encapsulation.VXLAN;
    private static final TenantConfig.Encapsulation GENEVE = TenantConfig.Encapsulation.GENEVE;

    @Test
    void aesGcm256OverIpv4EspInUdpVxlan() {
        // 1500 - 20 IPv4 - 8 UDP 4500 - 8 ESP - 8 IV - 16 ICV = 1440 for the padded plaintext, a
        // multiple of 4 already; minus 2 (pad length, next header) = 1438 of UDP/VXLAN/Ethernet/payload;
        // minus 8 + 8 + 14 = 1408.
        TenantMtu m = TenantMtu.compute(1500, false, true, EspAlgorithm.AES_GCM_256, 16, false, VXLAN, 0, null);
        assertEquals(1408, m.mtu());
        assertEquals("1500 - 20 ipv4 - 8 udp-encap - 8 esp - 8 iv - 8 udp - 8 vxlan - 14 eth - 2 esp-trailer"
                + " - 16 icv = 1408", m.breakdown());
    }

    @Test
    void aesCbcPadsToSixteenByteBlocks() {
        // 1500 - 20 - 8 - 8 ESP - 16 IV - 16 ICV (hmac-sha256-128) = 1432; 16-byte blocks: 1424
        // (8 bytes unusable); minus 2 = 1422; minus 30 = 1392.
        TenantMtu m = TenantMtu.compute(1500, false, true, EspAlgorithm.AES_CBC_256,
                IntegrityAlgorithm.HMAC_SHA256_128.icvLength(), false, VXLAN, 0, null);
        assertEquals(1392, m.mtu());
        assertTrue(m.breakdown().contains("- 8 block-align"), m.breakdown());
    }

    @Test
    void ipv6RawEspTunnelModeGeneveWithOptions() {
        // 1500 - 40 IPv6 - 8 ESP - 8 IV - 8 ICV = 1436 (multiple of 4); minus 2 = 1434; minus
        // 40 inner IPv6 + 8 UDP + 8 Geneve + 8 options + 14 Ethernet = 78: 1356.
        TenantMtu m = TenantMtu.compute(1500, true, false, EspAlgorithm.AES_GCM_128, 8, true, GENEVE, 8, null);
        assertEquals(1356, m.mtu());
    }

    @Test
    void cleartextMatchesLinuxVxlanDefaults() {
        // Linux gives a vxlan device MTU 1450 over IPv4 and 1430 over IPv6 (VXLAN_HEADROOM 50, VXLAN6_HEADROOM 70).
        assertEquals(1450, TenantMtu.compute(1500, false, true, null, 0, false, VXLAN, 0, null).mtu());
        assertEquals(1430, TenantMtu.compute(1500, true, true, null, 0, false, VXLAN, 0, null).mtu());
    }

    @Test
    void nullWithoutIntegrityHasNoIvAndNoIcv() {
        // 1500 - 20 - 8 - 8 = 1464; minus 2 = 1462; minus 30 = 1432.
        assertEquals(1432, TenantMtu.compute(1500, false, true, EspAlgorithm.NULL, 0, false, VXLAN, 0, null).mtu());
    }

    /** Forward check: the outer datagram of an MTU-sized payload fits, one byte more does not. */
    @Test
    void computedMtuIsTheLargestThatFits() {
        for (EspAlgorithm alg : EspAlgorithm.values()) {
            int icv = alg.combined() ? alg.icvLengths().get(0) : alg.requiresIntegrity() ? 16 : 0;
            for (int underlay = 1280; underlay <= 1600; underlay++) {
                for (boolean v6 : new boolean[] {false, true}) {
                    for (boolean tunnel : new boolean[] {false, true}) {
                        int mtu = TenantMtu.compute(underlay, v6, true, alg, icv, tunnel, GENEVE, 12, null).mtu();
                        assertTrue(outer(mtu, v6, alg, icv, tunnel, 12) <= underlay, alg + " " + underlay);
                        assertTrue(outer(mtu + 1, v6, alg, icv, tunnel, 12) > underlay, alg + " " + underlay);
                    }
                }
            }
        }
    }

    /** The outer IP datagram for {@code payload}, built up as RFC 4303 section 2 lays it out. */
    private static int outer(int payload, boolean v6, EspAlgorithm alg, int icv, boolean tunnel, int options) {
        int ip = v6 ? 40 : 20;
        int plaintext = (tunnel ? ip : 0) + 8 + 8 + options + 14 + payload;
        int withTrailer = plaintext + 2;
        int padded = (withTrailer + alg.blockSize() - 1) / alg.blockSize() * alg.blockSize();
        return ip + 8 + 8 + alg.ivLength() + padded + icv;
    }
}
