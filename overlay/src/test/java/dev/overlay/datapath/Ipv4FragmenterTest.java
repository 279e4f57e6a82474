package dev.overlay.datapath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * IPv4 packets without DF cut to the tenant MTU, checked by scapy: every fragment's header
 * checksum recomputed, each within the MTU with its data a multiple of 8 bytes but the last,
 * options copied as RFC 791 says (all in the first fragment, only those with the copied flag in
 * the others), the Ethernet header and tag on every fragment, and scapy's own reassembly
 * ({@code defragment}) giving back the packet it built.
 */
class Ipv4FragmenterTest {
    private static final String MAKE = """
            E = Ether(dst="02:00:00:00:00:0b", src="02:00:00:00:00:0a")
            body = bytes(range(256)) * 16
            # Record Route (7, not copied) and Security (130, copied): RFC 791 section 3.1.
            opts = [IPOption(b"\\x07\\x07\\x04\\x00\\x00\\x00\\x00"), IPOption(b"\\x82\\x0b" + b"\\x00" * 9)]
            print(json.dumps({
              "plain": bytes(E/IP(src="10.0.0.1", dst="10.0.0.2", id=4242, ttl=33)/UDP(sport=7, dport=9)/body[:4000]).hex(),
              "options": bytes(E/IP(src="10.0.0.1", dst="10.0.0.2", id=7, options=opts)/UDP()/body[:3000]).hex(),
              "tagged": bytes(E/Dot1Q(vlan=33)/IP(src="10.0.0.1", dst="10.0.0.2", id=9)/ICMP()/body[:2000]).hex(),
              "refragment": bytes(E/IP(src="10.0.0.1", dst="10.0.0.2", id=5, flags="MF", frag=185)/body[:1480]).hex(),
            }))
            """;

    private static final String CHECK = """
            out = {}
            for line in sys.stdin.read().split():
                name, orig, *frags = line.split(",")
                o = Ether(bytes.fromhex(orig))
                ip = o[IP]
                fs = [Ether(bytes.fromhex(f)) for f in frags]
                res = {"count": len(fs), "lens": [], "offsets": [], "mf": [], "chk": [], "opts": [], "ids": [],
                       "eth-ok": all(f.dst == o.dst and f.src == o.src for f in fs),
                       "vlans": [f[Dot1Q].vlan if f.haslayer(Dot1Q) else None for f in fs]}
                for f in fs:
                    fip = f[IP]
                    fresh = IP(bytes(fip)); raw = fresh.chksum; del fresh.chksum
                    res["chk"].append(raw == IP(bytes(fresh)).chksum)
                    res["lens"].append(fip.len)
                    res["offsets"].append(fip.frag * 8)
                    res["mf"].append("MF" in str(fip.flags))
                    res["opts"].append(bytes(fip)[20:fip.ihl * 4].hex())
                    res["ids"].append(fip.id)
                whole = defragment([f[IP] for f in fs])
                res["reassembled"] = len(whole) == 1 and bytes(whole[0].payload) == bytes(ip.payload)
                out[name] = res
            print(json.dumps(out))
            """;

    @Test
    void fragmentsAreWhatScapyReassembles() throws Exception {
        JsonNode made = Scapy.run(MAKE, "");
        StringBuilder lines = new StringBuilder();
        for (String name : new String[] {"plain", "options", "tagged"}) {
            lines.append(name).append(',').append(made.get(name).asText());
            for (String f : fragments(made.get(name).asText(), 1408)) {
                lines.append(',').append(f);
            }
            lines.append('\n');
        }
        JsonNode r = Scapy.run(CHECK, lines.toString());

        JsonNode plain = r.get("plain");
        assertEquals(3, plain.get("count").asInt(), plain::toString); // 4008 bytes of UDP in 1384 + 1384 + 1240
        assertEquals("[1404,1404,1260]", plain.get("lens").toString(), "data a multiple of 8: 1384, not 1388");
        assertEquals("[0,1384,2768]", plain.get("offsets").toString());
        assertEquals("[true,true,false]", plain.get("mf").toString());
        assertEquals("[4242,4242,4242]", plain.get("ids").toString());
        for (String name : new String[] {"plain", "options", "tagged"}) {
            JsonNode c = r.get(name);
            assertTrue(c.get("reassembled").asBoolean(), name + ": " + c);
            assertTrue(c.get("eth-ok").asBoolean(), name + ": " + c);
            c.get("chk").forEach(ok -> assertTrue(ok.asBoolean(), name + ": " + c));
            c.get("lens").forEach(len -> assertTrue(len.asInt() <= (name.equals("tagged") ? 1404 : 1408), name + ": " + c));
        }
        JsonNode options = r.get("options");
        // First fragment: both options as sent (7 + 11 bytes, padded to 20); the others: Security alone, padded to 12.
        assertEquals("07070400000000" + "820b" + "00".repeat(9) + "0000", options.get("opts").get(0).asText());
        assertEquals("820b" + "00".repeat(9) + "00", options.get("opts").get(1).asText());
        assertEquals("[33,33]", r.get("tagged").get("vlans").toString());
    }

    @Test
    void aFragmentIsCutFurtherAndKeepsItsPlaceAndMoreFragments() throws Exception {
        JsonNode made = Scapy.run(MAKE, "");
        ByteBuf frame = Scapy.frame(made.get("refragment").asText());
        List<ByteBuf> out = new ArrayList<>();
        try {
            assertEquals(2, PathMtu.fragment(frame, 1000, UnpooledByteBufAllocator.DEFAULT, out::add));
            // Offset 185 * 8 = 1480 continues; the original had MF, so the last piece keeps it.
            int l3 = Buffers.HEADROOM + 14;
            assertEquals(0x2000 | 185, out.get(0).getUnsignedShort(l3 + 6));
            assertEquals(0x2000 | (185 + 122), out.get(1).getUnsignedShort(l3 + 6), "976 / 8 = 122 blocks on");
        } finally {
            frame.release();
            out.forEach(ByteBuf::release);
        }
    }

    @Test
    void aPacketWithNoRoomForEightBytesIsNotCut() throws Exception {
        JsonNode made = Scapy.run(MAKE, "");
        ByteBuf frame = Scapy.frame(made.get("options").asText());
        try {
            // 40 bytes of header leave 4 bytes of data under an MTU of 44: no fragment can carry 8.
            assertEquals(-1, PathMtu.fragment(frame, 44, UnpooledByteBufAllocator.DEFAULT, f -> {
                f.release();
                throw new AssertionError("nothing may be handed out");
            }));
        } finally {
            frame.release();
        }
    }

    private static List<String> fragments(String hex, int mtu) {
        ByteBuf frame = Scapy.frame(hex);
        List<String> out = new ArrayList<>();
        try {
            assertEquals(PathMtu.Verdict.FRAGMENT, PathMtu.check(frame, mtu));
            int n = PathMtu.fragment(frame, mtu, UnpooledByteBufAllocator.DEFAULT, f -> {
                assertEquals(Buffers.HEADROOM, f.readerIndex());
                assertTrue(PathMtu.fits(f, mtu));
                out.add(Scapy.hex(f));
                f.release();
            });
            assertEquals(out.size(), n);
        } finally {
            frame.release();
        }
        return out;
    }
}
