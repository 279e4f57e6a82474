package dev.overlay.datapath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;

/**
 * {@link PathMtu}'s verdicts on frames scapy builds: which oversized packets get an ICMP error,
 * which are fragmented, and which RFC 1812 section 4.3.2.7 and RFC 4443 section 2.4 (e) say must
 * be dropped without one; and whether a TCP super-frame's segments would fit.
 */
class PathMtuTest {
    private static final int MTU = 1408;

    private static final String FRAMES = """
            E = Ether(dst="02:00:00:00:00:0b", src="02:00:00:00:00:0a")
            big, small = b"x" * 1500, b"x" * 100
            def v4(src="10.0.0.1", dst="10.0.0.2", **kw): return IP(src=src, dst=dst, **kw)
            def v6(src="fd00::1", dst="fd00::2"): return IPv6(src=src, dst=dst)
            cases = {
              "FITS small": E/v4(flags="DF")/UDP()/small,
              "FITS exactly the mtu": E/v4(flags="DF")/UDP()/(b"x" * (1408 - 28)),
              "ICMP one byte over": E/v4(flags="DF")/UDP()/(b"x" * (1409 - 28)),
              "ICMP v4 tcp with df": E/v4(flags="DF")/TCP()/big,
              "FRAGMENT v4 without df": E/v4()/UDP()/big,
              "FRAGMENT v4 fragment without df": E/v4(flags="MF", frag=100)/big,
              "DROP v4 df with mf": E/v4(flags="DF+MF")/UDP()/big,
              "DROP v4 to multicast": E/v4(dst="224.0.0.5", flags="DF")/UDP()/big,
              "DROP v4 to broadcast": E/v4(dst="255.255.255.255", flags="DF")/UDP()/big,
              "DROP v4 from 0.0.0.0": E/v4(src="0.0.0.0", flags="DF")/UDP()/big,
              "DROP v4 from loopback": E/v4(src="127.0.0.1", flags="DF")/UDP()/big,
              "DROP v4 about an icmp error": E/v4(flags="DF")/ICMP(type=3, code=1)/big,
              "ICMP v4 echo request": E/v4(flags="DF")/ICMP(type=8)/big,
              "ICMP v4 behind two tags": E/Dot1AD(vlan=5)/Dot1Q(vlan=6)/v4(flags="DF")/UDP()/big,
              "ICMP v6 udp": E/v6()/UDP()/big,
              "DROP v6 from unspecified": E/v6(src="::")/UDP()/big,
              "DROP v6 from loopback": E/v6(src="::1")/UDP()/big,
              "DROP v6 to multicast": E/v6(dst="ff02::1")/UDP()/big,
              "DROP v6 about an icmpv6 error": E/v6()/ICMPv6DestUnreach()/big,
              "DROP v6 about a redirect": E/v6()/ICMPv6ND_Redirect()/big,
              "ICMP v6 echo request": E/v6()/ICMPv6EchoRequest()/big,
              "DROP v6 non-first fragment": E/v6()/IPv6ExtHdrFragment(offset=100, nh=17)/big,
              "ICMP v6 first fragment": E/v6()/IPv6ExtHdrFragment(offset=0, m=1)/UDP()/big,
              "ICMP v6 after hop-by-hop": E/v6()/IPv6ExtHdrHopByHop()/UDP()/big,
              "DROP not ip": Ether(dst="02:00:00:00:00:0b", src="02:00:00:00:00:0a", type=0x88b5)/big,
              "DROP arp padded": Ether(dst="ff:ff:ff:ff:ff:ff")/ARP()/big,
            }
            print(json.dumps({k: bytes(p).hex() for k, p in cases.items()}))
            """;

    @Test
    void verdictsFollowTheRfcsAndTheKernel() throws Exception {
        JsonNode cases = Scapy.run(FRAMES, "");
        int checked = 0;
        for (var it = cases.fields(); it.hasNext(); checked++) {
            var c = it.next();
            ByteBuf frame = Scapy.frame(c.getValue().asText());
            try {
                PathMtu.Verdict expected = PathMtu.Verdict.valueOf(c.getKey().substring(0, c.getKey().indexOf(' ')));
                assertEquals(expected, PathMtu.check(frame, MTU), c.getKey());
                assertEquals(expected == PathMtu.Verdict.FITS, PathMtu.fits(frame, MTU), c.getKey());
            } finally {
                frame.release();
            }
        }
        assertEquals(26, checked);
    }

    @Test
    void belowTheMinimumMtusNoErrorIsSent() throws Exception {
        JsonNode f = Scapy.run("""
                E = Ether(dst="02:00:00:00:00:0b", src="02:00:00:00:00:0a")
                print(json.dumps([bytes(E/IP(src="10.0.0.1", dst="10.0.0.2", flags="DF")/UDP()/(b"x" * 200)).hex(),
                                  bytes(E/IPv6(src="fd00::1", dst="fd00::2")/UDP()/(b"x" * 1300)).hex()]))
                """, "");
        ByteBuf v4 = Scapy.frame(f.get(0).asText());
        ByteBuf v6 = Scapy.frame(f.get(1).asText());
        try {
            assertEquals(PathMtu.Verdict.ICMP, PathMtu.check(v4, 68), "RFC 791's 68 bytes may be reported");
            assertEquals(PathMtu.Verdict.DROP, PathMtu.check(v4, 67));
            assertEquals(PathMtu.Verdict.ICMP, PathMtu.check(v6, 1280));
            assertEquals(PathMtu.Verdict.DROP, PathMtu.check(v6, 1279), "RFC 8200: no IPv6 MTU below 1280");
        } finally {
            v4.release();
            v6.release();
        }
    }

    @Test
    void superFramesAreCutOnlyWhenTheirSegmentsFit() throws Exception {
        // TCP with timestamps (32-byte header): IPv4 segments carry 1408 - 20 - 32 = 1356 bytes, IPv6 1336.
        JsonNode f = Scapy.run("""
                E = Ether(dst="02:00:00:00:00:0b", src="02:00:00:00:00:0a")
                t = TCP(flags="A", options=[("NOP", None), ("NOP", None), ("Timestamp", (1, 2))])
                body = b"y" * 60000
                print(json.dumps([bytes(E/IP(flags="DF")/t/body).hex(), bytes(E/IP()/t/body).hex(),
                                  bytes(E/IPv6()/t/body).hex(), bytes(E/Dot1Q(vlan=9)/IP(flags="DF")/t/body).hex()]))
                """, "");
        ByteBuf v4 = Scapy.frame(f.get(0).asText());
        ByteBuf v4NoDf = Scapy.frame(f.get(1).asText());
        ByteBuf v6 = Scapy.frame(f.get(2).asText());
        ByteBuf tagged = Scapy.frame(f.get(3).asText());
        try {
            assertTrue(PathMtu.segmentsFit(v4, -1, 1356, MTU));
            assertFalse(PathMtu.segmentsFit(v4, -1, 1357, MTU));
            assertTrue(PathMtu.segmentsFit(v4, 34, 1356, MTU), "csum_start given: TCP at 14 + 20");
            assertFalse(PathMtu.segmentsFit(v4, -1, 1448, MTU), "a 1500-MTU sender's segments");
            assertTrue(PathMtu.segmentsFit(v4NoDf, -1, 1448, MTU), "without DF each segment may be fragmented");
            assertTrue(PathMtu.segmentsFit(v6, -1, 1336, MTU));
            assertFalse(PathMtu.segmentsFit(v6, -1, 1337, MTU));
            assertTrue(PathMtu.segmentsFit(tagged, -1, 1352, MTU));
            assertFalse(PathMtu.segmentsFit(tagged, -1, 1353, MTU), "the tag takes 4 bytes");
            assertTrue(PathMtu.segmentsFit(v4, -1, 1448, Integer.MAX_VALUE), "a port with no tenant MTU");
        } finally {
            v4.release();
            v4NoDf.release();
            v6.release();
            tagged.release();
        }
    }

    @Test
    void shortAndOddFramesAreNeverAnException() {
        byte[] junk = new byte[3000];
        for (int cut : new int[] {0, 5, 13, 14, 16, 18, 20, 33, 53}) {
            for (int type : new int[] {0x0800, 0x86DD, 0x8100, 0x88A8}) {
                ByteBuf b = Buffers.frame(UnpooledByteBufAllocator.DEFAULT, junk, 0, cut);
                if (cut >= 14) {
                    b.setShort(b.readerIndex() + 12, type);
                }
                try {
                    PathMtu.check(b, 0);
                    PathMtu.segmentsFit(b, -1, 1000, 0);
                    MssClamp.clamp(b, 536, 536);
                } finally {
                    b.release();
                }
            }
        }
    }
}
