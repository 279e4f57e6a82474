package dev.overlay.vtep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** scapy builds tunnels; our receive path must find exactly what scapy put in. */
class ScapyInteropTest {
    private static final String SCRIPT = """
      import json
      from scapy.all import Ether, Dot1Q, IP, IPv6, UDP, ICMP, TCP, raw
      from scapy.layers.inet6 import IPv6ExtHdrDestOpt, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting
      from scapy.layers.vxlan import VXLAN
      from scapy.contrib.geneve import GENEVE, GeneveOptions
      inner = Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02')/IP(src='10.0.0.1', dst='10.0.0.2')/TCP(sport=1234, dport=80)/('x' * 40)
      o1 = GeneveOptions(classid=0x0102, type=0x01, data=b'\\x00\\x00\\x00\\x0a')
      o2 = GeneveOptions(classid=0xffff, type=0x80, data=bytes(range(8)))
      cases = [
        ('vxlan', 4242, [], -1, Ether()/IP(src='192.0.2.1', dst='192.0.2.2')/UDP(sport=50000, dport=4789)/VXLAN(vni=4242)/inner),
        ('vxlan', 16777215, [], -1, Ether()/IPv6(src='2001:db8::1', dst='2001:db8::2')/UDP(sport=50001, dport=4789)/VXLAN(vni=16777215)/inner),
        ('vxlan', 7, [], 100, Ether()/Dot1Q(vlan=100)/IP(src='192.0.2.1', dst='192.0.2.2')/UDP(sport=50002, dport=4789)/VXLAN(vni=7)/inner),
        ('vxlan', 9, [], -1, Ether()/IPv6(src='2001:db8::1', dst='2001:db8::2')/IPv6ExtHdrHopByHop()/IPv6ExtHdrDestOpt()/UDP(sport=50003, dport=4789)/VXLAN(vni=9)/inner),
        ('geneve', 77, [o1], -1, Ether()/IP(src='192.0.2.1', dst='192.0.2.2')/UDP(sport=50004, dport=6081)/GENEVE(vni=77, options=[o1])/inner),
        ('geneve', 78, [o1, o2], -1, Ether()/IPv6(src='2001:db8::1', dst='2001:db8::2')/UDP(sport=50005, dport=6081)/GENEVE(vni=78, critical=1, options=[o1, o2])/inner),
        ('geneve', 0, [], -1, Ether()/IPv6(src='2001:db8::1', dst='2001:db8::2')/IPv6ExtHdrRouting()/UDP(sport=50006, dport=6081)/GENEVE(vni=0)/inner),
      ]
      for kind, vni, opts, vlan, p in cases:
          print(json.dumps({'kind': kind, 'vni': vni, 'vlan': vlan, 'hex': raw(p).hex(),
              'inner': raw(inner).hex(),
              'options': [[o.classid, o.type, o.data.hex()] for o in opts]}))
      """;

    @Test
    void scapyBuiltTunnelsParseToWhatScapyPutIn() throws Exception {
        String out = ExternalTools.python(SCRIPT);
        ObjectMapper json = new ObjectMapper();
        HexFormat hex = HexFormat.of();
        OuterHeaders h = new OuterHeaders();
        int n = 0;
        for (String line : out.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode c = json.readTree(line);
            ByteBuf pkt = Unpooled.wrappedBuffer(hex.parseHex(c.get("hex").asText()));
            try {
                Geneve.OptionFilter known = (cls, type) -> cls == 0xFFFF && type == 0x80;
                TestPackets.Decap d = TestPackets.decapsulate(pkt, h, true, known);
                String name = "case " + n + ": " + line;
                assertNull(d.drop, name);
                assertTrue(d.overlay, name);
                assertEquals(c.get("vni").asInt(), d.vni, name);
                assertEquals(c.get("vlan").asInt(), h.outerVlan, name);
                assertArrayEquals(hex.parseHex(c.get("inner").asText()), d.inner(pkt), name);
                if (c.get("kind").asText().equals("geneve")) {
                    List<GeneveOption> expected = new ArrayList<>();
                    for (JsonNode o : c.get("options")) {
                        expected.add(new GeneveOption(o.get(0).asInt(), o.get(1).asInt(),
                                hex.parseHex(o.get(2).asText())));
                    }
                    assertEquals(expected, Geneve.options(pkt, h.payloadOffset), name);
                    if (expected.stream().anyMatch(GeneveOption::critical)) {
                        assertEquals(VtepDrop.GENEVE_CRITICAL_OPTION, Geneve.check(pkt, h.payloadOffset,
                                h.payloadLength, Geneve.OptionFilter.NONE), name);
                    }
                }
            } finally {
                pkt.release();
            }
            n++;
        }
        assertEquals(7, n);
    }
}
