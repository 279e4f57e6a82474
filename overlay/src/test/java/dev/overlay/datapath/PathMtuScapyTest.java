package dev.overlay.datapath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The ICMP errors of {@link PathMtu} as scapy reads them: scapy builds oversized tenant frames
 * (IPv4 with DF, IPv6, untagged and 802.1Q-tagged, with the tag kept or re-inserted), we answer
 * them, and scapy parses the answers, recomputes every checksum and compares the quote with the
 * packet it built: type, code, MTU field, addresses and MACs swapped, tags.
 */
class PathMtuScapyTest {
    private static final int MTU = 1408;

    /** Oversized frames, by case name; each case also says which tag (TCI) we insert, or -1. */
    private static final String MAKE = """
            A, B = "02:00:00:00:00:0a", "02:00:00:00:00:0b"
            pay = bytes(range(256)) * 7
            cases = {
              "v4-tcp": (Ether(dst=B, src=A)/IP(src="10.0.0.1", dst="10.0.0.2", flags="DF", ttl=61, id=77)
                         /TCP(sport=40000, dport=5001, flags="PA", seq=123456)/pay[:1460], -1),
              "v4-udp-tagged": (Ether(dst=B, src=A)/Dot1Q(vlan=7, prio=3)/IP(src="10.1.0.1", dst="10.1.0.2", flags="DF")
                                /UDP(sport=5353, dport=9)/pay[:1500], -1),
              "v4-tag-reinserted": (Ether(dst=B, src=A)/IP(src="10.2.0.1", dst="10.2.0.2", flags="DF")
                                    /UDP(sport=1, dport=2)/pay[:1480], 0x2065),
              "v6-udp": (Ether(dst=B, src=A)/IPv6(src="fd00::1", dst="fd00::2", hlim=60)
                         /UDP(sport=40000, dport=5001)/pay[:1600], -1),
              "v6-tcp-tagged": (Ether(dst=B, src=A)/Dot1Q(vlan=4094)/IPv6(src="2001:db8::1", dst="2001:db8::2")
                                /TCP(sport=1, dport=2, flags="A")/pay[:1452], -1),
            }
            print(json.dumps({k: [bytes(p).hex(), tci] for k, (p, tci) in cases.items()}))
            """;

    /** For each "name original reply" line: what scapy finds in the reply. */
    private static final String CHECK = """
            out = {}
            for line in sys.stdin.read().split():
                name, orig, reply = line.split(",")
                o, r = Ether(bytes.fromhex(orig)), Ether(bytes.fromhex(reply))
                res = {"eth-dst": r.dst, "eth-src": r.src, "orig-dst": o.dst, "orig-src": o.src,
                       "vlans": [[t.vlan, t.prio] for t in r.iterpayloads() if isinstance(t, Dot1Q)],
                       "length": len(bytes.fromhex(reply))}
                ol3 = o.getlayer(IP) or o.getlayer(IPv6)
                if r.haslayer(IP) and not isinstance(r.getlayer(IP), IPerror):
                    ip, icmp = r[IP], r[ICMP]
                    fresh = ip.copy(); del fresh.chksum; del fresh[ICMP].chksum
                    fresh = IP(bytes(fresh))
                    quote = bytes(icmp.payload)
                    res.update({"ip-src": ip.src, "ip-dst": ip.dst, "ip-len": ip.len, "df": "DF" in str(ip.flags),
                                "ip-chksum-ok": ip.chksum == fresh.chksum,
                                "type": icmp.type, "code": icmp.code, "mtu": icmp.nexthopmtu,
                                "chksum-ok": icmp.chksum == fresh[ICMP].chksum,
                                "quote-len": len(quote), "quote-ok": quote == bytes(ol3)[:len(quote)],
                                "orig-ip-src": ol3.src, "orig-ip-dst": ol3.dst})
                else:
                    ip6, ptb = r[IPv6], r[ICMPv6PacketTooBig]
                    fresh = ip6.copy(); del fresh[ICMPv6PacketTooBig].cksum
                    fresh = IPv6(bytes(fresh))
                    quote = bytes(ptb.payload)
                    res.update({"ip-src": ip6.src, "ip-dst": ip6.dst, "ip-len": ip6.plen + 40, "nh": ip6.nh,
                                "type": ptb.type, "code": ptb.code, "mtu": ptb.mtu,
                                "chksum-ok": ptb.cksum == fresh[ICMPv6PacketTooBig].cksum,
                                "quote-len": len(quote), "quote-ok": quote == bytes(ol3)[:len(quote)],
                                "orig-ip-src": ol3.src, "orig-ip-dst": ol3.dst})
                out[name] = res
            print(json.dumps(out))
            """;

    @Test
    void errorsAreWhatScapyExpectsOfFragmentationNeededAndPacketTooBig() throws Exception {
        JsonNode cases = Scapy.run(MAKE, "");
        StringBuilder lines = new StringBuilder();
        for (Iterator<Map.Entry<String, JsonNode>> it = cases.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> c = it.next();
            ByteBuf frame = Scapy.frame(c.getValue().get(0).asText());
            try {
                assertEquals(PathMtu.Verdict.ICMP, PathMtu.check(frame, MTU), c.getKey());
                ByteBuf reply = PathMtu.icmpReply(UnpooledByteBufAllocator.DEFAULT, frame, MTU, c.getValue().get(1).asInt());
                try {
                    assertEquals(Buffers.HEADROOM, reply.readerIndex(), "room for a port's own header before the reply");
                    lines.append(c.getKey()).append(',').append(Scapy.hex(frame)).append(',').append(Scapy.hex(reply)).append('\n');
                } finally {
                    reply.release();
                }
            } finally {
                frame.release();
            }
        }
        JsonNode r = Scapy.run(CHECK, lines.toString());
        for (String name : new String[] {"v4-tcp", "v4-udp-tagged", "v4-tag-reinserted", "v6-udp", "v6-tcp-tagged"}) {
            JsonNode c = r.get(name);
            boolean v6 = name.startsWith("v6");
            String at = name + ": " + c;
            assertEquals(c.get("orig-src").asText(), c.get("eth-dst").asText(), at);
            assertEquals(c.get("orig-dst").asText(), c.get("eth-src").asText(), at);
            assertEquals(c.get("orig-ip-src").asText(), c.get("ip-dst").asText(), at);
            assertEquals(c.get("orig-ip-dst").asText(), c.get("ip-src").asText(), at);
            assertEquals(v6 ? 2 : 3, c.get("type").asInt(), at);
            assertEquals(v6 ? 0 : 4, c.get("code").asInt(), at);
            // A tag in the frame takes 4 bytes of the tenant MTU: its packets may be 4 bytes shorter.
            boolean tagged = name.endsWith("-tagged");
            assertEquals(tagged ? MTU - 4 : MTU, c.get("mtu").asInt(), at);
            assertTrue(c.get("chksum-ok").asBoolean(), at);
            assertTrue(c.get("quote-ok").asBoolean(), at);
            // RFC 1812 4.3.2.3: the error fills 576 bytes; RFC 4443 2.4 (c): 1280.
            assertEquals(v6 ? 1280 : 576, c.get("ip-len").asInt(), at);
            assertEquals(v6 ? 1280 - 48 : 576 - 28, c.get("quote-len").asInt(), at);
            if (!v6) {
                assertTrue(c.get("ip-chksum-ok").asBoolean(), at);
                assertTrue(c.get("df").asBoolean(), at);
            } else {
                assertEquals(58, c.get("nh").asInt(), at);
            }
        }
        assertEquals("[[7,3]]", r.get("v4-udp-tagged").get("vlans").toString());
        assertEquals("[[4094,0]]", r.get("v6-tcp-tagged").get("vlans").toString());
        assertEquals("[[101,1]]", r.get("v4-tag-reinserted").get("vlans").toString(), "TCI 0x2065: PCP 1, VID 101");
        assertEquals("[]", r.get("v4-tcp").get("vlans").toString());
        assertEquals(14 + 576, r.get("v4-tcp").get("length").asInt());
    }
}
