package dev.overlay.datapath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBuf;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link MssClamp} on SYNs and SYN-ACKs scapy builds (IPv4 and IPv6, untagged, 802.1Q and QinQ,
 * the MSS option at an even and at an odd offset), checked by scapy: the MSS read back, the TCP
 * checksum it recomputes over the whole segment equal to our incremental one (RFC 1624), and no
 * other byte touched.
 */
class MssClampTest {
    private static final int MSS4 = 1368;
    private static final int MSS6 = 1348;

    private static final String MAKE = """
            E = Ether(dst="02:00:00:00:00:0b", src="02:00:00:00:00:0a")
            v4 = IP(src="10.0.0.1", dst="10.0.0.2")
            v6 = IPv6(src="fd00::1", dst="fd00::2")
            even = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (7, 0)), ("NOP", None), ("WScale", 7)]
            odd = [("NOP", None), ("MSS", 65495), ("NOP", None), ("WScale", 7), ("SAckOK", b"")]
            def syn(opts, flags="S"): return TCP(sport=40001, dport=5201, flags=flags, seq=999, options=opts)
            cases = {
              "clamped v4 syn": E/v4/syn(even),
              "clamped v4 syn-ack tagged odd": E/Dot1Q(vlan=12)/v4/syn(odd, "SA"),
              "clamped v6 syn": E/v6/syn(even),
              "clamped v6 syn-ack qinq odd": E/Dot1AD(vlan=5)/Dot1Q(vlan=6)/v6/syn(odd, "SA"),
              "clamped v6 syn after hop-by-hop": E/v6/IPv6ExtHdrHopByHop()/syn(even),
              "clamped v4 syn with data": E/v4/syn(odd)/(b"z" * 333),
              "kept v4 syn below": E/v4/syn([("MSS", 1200)]),
              "kept v4 ack": E/v4/syn(even, "A"),
              "kept v6 syn without mss": E/v6/syn([("WScale", 2)]),
              "kept v4 udp": E/v4/UDP()/(b"\\x02\\x04\\x05\\xb4" * 10),
            }
            print(json.dumps({k: bytes(p).hex() for k, p in cases.items()}))
            """;

    private static final String CHECK = """
            out = {}
            for line in sys.stdin.read().split():
                name, before, after = line.split(",")
                a, b = bytes.fromhex(after), bytes.fromhex(before)
                p = Ether(a)
                res = {"diff": [i for i in range(len(a)) if a[i] != b[i]], "same-length": len(a) == len(b)}
                if p.haslayer(TCP):
                    t = p[TCP]
                    res["mss"] = dict((k, v) for k, v in t.options if k == "MSS").get("MSS")
                    l3 = p.getlayer(IP) or p.getlayer(IPv6)
                    fresh = l3.__class__(bytes(l3)); del fresh[TCP].chksum
                    res["chksum-ok"] = t.chksum == l3.__class__(bytes(fresh))[TCP].chksum
                    res["tcp-at"] = len(a) - len(bytes(t))
                out[name] = res
            print(json.dumps(out))
            """;

    @Test
    void synsAreClampedAndTheirChecksumsStayRight() throws Exception {
        JsonNode made = Scapy.run(MAKE, "");
        StringBuilder lines = new StringBuilder();
        int clamped = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = made.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> c = it.next();
            ByteBuf frame = Scapy.frame(c.getValue().asText());
            try {
                boolean done = MssClamp.clamp(frame, MSS4, MSS6);
                assertEquals(c.getKey().startsWith("clamped"), done, c.getKey());
                clamped += done ? 1 : 0;
                assertEquals(false, MssClamp.clamp(frame, MSS4, MSS6), "never twice, never raised: " + c.getKey());
                lines.append(c.getKey().replace(' ', '_')).append(',').append(c.getValue().asText()).append(',')
                        .append(Scapy.hex(frame)).append('\n');
            } finally {
                frame.release();
            }
        }
        assertEquals(6, clamped);
        JsonNode r = Scapy.run(CHECK, lines.toString());
        for (Iterator<Map.Entry<String, JsonNode>> it = r.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode c = e.getValue();
            assertTrue(c.get("same-length").asBoolean(), name);
            if (!name.startsWith("clamped")) {
                assertEquals("[]", c.get("diff").toString(), name + ": untouched");
                continue;
            }
            assertEquals(name.contains("v6") ? MSS6 : MSS4, c.get("mss").asInt(), name + ": " + c);
            assertTrue(c.get("chksum-ok").asBoolean(), name + ": " + c);
            // Only the MSS value and the TCP checksum changed.
            int tcp = c.get("tcp-at").asInt();
            for (JsonNode at : c.get("diff")) {
                int i = at.asInt() - tcp;
                assertTrue(i == 16 || i == 17 || (i >= 20 && i < 60), name + ": byte " + at + " changed: " + c);
            }
        }
    }

    @Test
    void incrementalChecksumMatchesRfc1624OnRandomWords() {
        // HC' = ~(~HC + ~m + m') against a full recomputation over random 16-bit words.
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int round = 0; round < 10_000; round++) {
            int[] words = new int[8];
            long sum = 0;
            for (int i = 0; i < words.length; i++) {
                words[i] = random.nextInt(0x10000);
                sum += words[i];
            }
            int checksum = ~dev.overlay.vtep.InternetChecksum.fold(sum) & 0xFFFF;
            int which = random.nextInt(words.length);
            int now = random.nextInt(0x10000);
            long after = sum - words[which] + now;
            int expected = ~dev.overlay.vtep.InternetChecksum.fold(after) & 0xFFFF;
            int got = MssClamp.replace(checksum, words[which], now);
            // 0x0000 and 0xFFFF are both zero in ones' complement; RFC 1624 3 never yields -0 for a non-zero sum.
            assertTrue(got == expected || (got ^ expected) == 0xFFFF && (got == 0 || expected == 0),
                    () -> "words " + java.util.Arrays.toString(words));
        }
    }
}
