package dev.overlay.config;

import static dev.overlay.config.Fixtures.assertError;
import static dev.overlay.config.Fixtures.assertValid;
import static dev.overlay.config.Fixtures.assertWarning;
import static dev.overlay.config.Fixtures.base;
import static dev.overlay.config.Fixtures.parse;
import static dev.overlay.config.Fixtures.replace;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Gateway, peer and tenant checks; each asserts the key path and the line. */
class TenantValidationTest {

    /** A second, cleartext tenant on line 11 (needs no SA). */
    private static String withRed(String red) {
        return base("peers: [gw-b]", "peers: [gw-b]\n  red: { " + red + " }");
    }

    @Test
    void vniOutsideTwentyFourBitsIsRefused() {
        assertError(parse(base("vni: 1001", "vni: 16777216")), "tenants.blue.vni", 9,
                "vni 16777216 is out of range (expected 1..16777215)");
        assertError(parse(base("vni: 1001", "vni: 0")), "tenants.blue.vni", 9, "out of range");
        assertEquals(0xFFFFFF, assertValid(parse(base("vni: 1001", "vni: 0xffffff"))).tenants().get("blue").vni());
    }

    @Test
    void vniUsedTwiceIsRefused() {
        assertError(parse(withRed("vni: 1001, peers: [gw-b], security: none")), "tenants.red.vni", 11,
                "vni 1001 is also used by tenant blue");
    }

    @Test
    void vlanOutOfRangeOrUsedTwiceIsRefused() {
        assertError(parse(base("vni: 1001", "vni: 1001\n    vlan: 4095")), "tenants.blue.vlan", 10,
                "vlan 4095 is out of range (expected 1..4094)");
        String twice = replace(withRed("vni: 1002, vlan: 101, peers: [gw-b], security: none"),
                "vni: 1001", "vni: 1001\n    vlan: 101");
        assertError(parse(twice), "tenants.red.vlan", 12, "vlan 101 is also used by tenant blue");
    }

    @Test
    void undefinedTenantPeerIsRefusedWithSuggestion() {
        assertError(parse(base("peers: [gw-b]", "peers: [gw-b, gw-bb]")), "tenants.blue.peers[1]", 10,
                "peer 'gw-bb' is not defined in peers (did you mean 'gw-b'?)");
        assertError(parse(base("peers: [gw-b]", "peers: []")), "tenants.blue.peers", 10, "at least one peer");
        assertError(parse(base("peers: [gw-b]", "peers: [gw-b, gw-b]")), "tenants.blue.peers[1]", 10, "listed twice");
    }

    @Test
    void fdbPeerMustBeOneOfTheTenantsPeers() {
        String yaml = base("address: 192.0.2.2", "address: 192.0.2.2\n  gw-c: { address: 192.0.2.3 }");
        yaml = replace(yaml, "vni: 1001", "vni: 1001\n    fdb: [{ mac: \"02:00:00:00:00:02\", peer: gw-c }]");
        assertError(parse(yaml), "tenants.blue.fdb[0].peer", 11, "peer gw-c is not one of this tenant's peers [gw-b]");
        String undefined = base("vni: 1001", "vni: 1001\n    fdb: [{ mac: \"02:00:00:00:00:02\", peer: gw-z }]");
        assertError(parse(undefined), "tenants.blue.fdb[0].peer", 10, "peer 'gw-z' is not defined in peers");
    }

    @Test
    void fdbMacMustBeUnicastAndWellFormedAndUnique() {
        assertError(parse(base("vni: 1001", "vni: 1001\n    fdb: [{ mac: \"01:00:5e:00:00:01\", peer: gw-b }]")),
                "tenants.blue.fdb[0].mac", 10, "multicast");
        assertError(parse(base("vni: 1001", "vni: 1001\n    fdb: [{ mac: \"02:00:00:00:00\", peer: gw-b }]")),
                "tenants.blue.fdb[0].mac", 10, "is not a MAC address (expected six hex octets");
        assertError(parse(base("vni: 1001", "vni: 1001\n    fdb: [{ mac: \"02:00:00:00:00:02\", peer: gw-b },"
                        + " { mac: \"02-00-00-00-00-02\", peer: gw-b }]")),
                "tenants.blue.fdb[1].mac", 10, "is also in fdb[0]");
    }

    @Test
    void gatewayMacSyntaxIsChecked() {
        assertError(parse(base("name: gw-a", "name: gw-a\n  mac: \"02:00:00:00:0a\"")), "gateway.mac", 3,
                "is not a MAC address");
    }

    @Test
    void underlayFamiliesMustNotMix() {
        assertError(parse(base("address: 192.0.2.2", "address: 2001:db8::2")), "peers.gw-b.address", 6,
                "peer address 2001:db8:0:0:0:0:0:2 is IPv6 but the gateway address 192.0.2.1 is IPv4");
        // Still found when another gateway key is wrong.
        String alsoBadWorkers = replace(base("address: 192.0.2.2", "address: 2001:db8::2"), "name: gw-a",
                "name: gw-a\n  workers: 0");
        assertError(parse(alsoBadWorkers), "peers.gw-b.address", 7, "is IPv6 but the gateway address");
    }

    @Test
    void addressesAreLiteralsNeverHostNames() {
        assertError(parse(base("address: 192.0.2.1", "address: gw.example.com")), "gateway.address", 3,
                "'gw.example.com' is not an IP address");
        assertError(parse(base("address: 192.0.2.1", "address: 127.1")), "gateway.address", 3, "is not an IP address");
        assertError(parse(base("address: 192.0.2.2", "address: 192.0.2.1")), "peers.gw-b.address", 6,
                "is the gateway's own address");
        assertError(parse(base("address: 192.0.2.2", "address: 224.0.0.1")), "peers.gw-b.address", 6,
                "is not a unicast address");
    }

    @Test
    void udpPortsAreInRangeAndDistinct() {
        assertError(parse(base("name: gw-a", "name: gw-a\n  esp-port: 0")), "gateway.esp-port", 3,
                "esp-port 0 is out of range (expected 1..65535)");
        assertError(parse(base("name: gw-a", "name: gw-a\n  geneve-port: 4789")), "gateway.geneve-port", 3,
                "geneve-port 4789 is also the vxlan-port");
        // With esp-transport ip there is no UDP 4500 to collide with.
        assertValid(parse(base("name: gw-a", "name: gw-a\n  esp-transport: ip\n  esp-port: 4789\n  vxlan-port: 4790")));
    }

    @Test
    void workersMtuMetricsAndEnumsAreChecked() {
        assertError(parse(base("name: gw-a", "name: gw-a\n  workers: 0")), "gateway.workers", 3,
                "workers 0 is out of range (expected 1..1024)");
        assertError(parse(base("name: gw-a", "name: gw-a\n  underlay-mtu: 500")), "gateway.underlay-mtu", 3,
                "out of range (expected 576..65535)");
        String v6 = replace(base("address: 192.0.2.1", "address: 2001:db8::1"), "address: 192.0.2.2",
                "address: 2001:db8::2");
        assertError(parse(replace(v6, "name: gw-a", "name: gw-a\n  underlay-mtu: 1000")), "gateway.underlay-mtu",
                3, "below IPv6's minimum link MTU 1280");
        assertError(parse(base("name: gw-a", "name: gw-a\n  metrics: 127.0.0.1")), "gateway.metrics", 3,
                "is not host:port");
        assertEquals(9464, assertValid(parse(base("name: gw-a", "name: gw-a\n  metrics: \"[::1]:9464\"")))
                .gateway().metrics().orElseThrow().getPort());
        assertError(parse(base("name: gw-a", "name: gw-a\n  steering: spy")), "gateway.steering", 3,
                "steering 'spy' is not one of spi, flow, rfs (did you mean 'spi'?)");
        assertError(parse(base("name: gw-a", "name: gw-a\n  esp-transport: tcp")), "gateway.esp-transport", 3,
                "is not one of udp, ip");
        assertError(parse(base("vni: 1001", "vni: 1001\n    encapsulation: gre")), "tenants.blue.encapsulation", 10,
                "is not one of vxlan, geneve");
    }

    @Test
    void geneveOptionsAreCheckedAgainstRfc8926() {
        assertError(parse(base("vni: 1001", "vni: 1001\n    geneve-options: [{ class: 1, type: 1 }]")),
                "tenants.blue.geneve-options", 10, "geneve-options need encapsulation: geneve");
        String g = "vni: 1001\n    encapsulation: geneve\n    geneve-options: ";
        assertError(parse(base("vni: 1001", g + "[{ class: 0x0102, type: 0x01, data: \"0x000000\" }]")),
                "tenants.blue.geneve-options[0].data", 11, "option data is 3 bytes (expected a multiple of 4");
        assertError(parse(base("vni: 1001", g + "[{ class: 0x10000, type: 0x100 }]")),
                "tenants.blue.geneve-options[0].class", 11, "out of range (expected 0..65535)");
        assertError(parse(base("vni: 1001", g + "[{ class: 0x10000, type: 0x100 }]")),
                "tenants.blue.geneve-options[0].type", 11, "out of range (expected 0..255)");
        String big = "{ class: 1, type: 1, data: \"0x" + "00".repeat(124) + "\" }";
        assertError(parse(base("vni: 1001", g + "[" + big + ", " + big + "]")), "tenants.blue.geneve-options", 11,
                "options take 256 bytes (expected at most 252");
        ConfigResult critical = parse(base("vni: 1001", g + "[{ class: 0x0102, type: 0x81 }]"));
        assertValid(critical);
        assertWarning(critical, "tenants.blue.geneve-options[0].type", "critical bit");
    }

    @Test
    void portsAreCheckedByType() {
        assertError(parse(base("vni: 1001", "vni: 1001\n    ports: [{ type: tapp, name: t0 }]")),
                "tenants.blue.ports[0].type", 10, "port type 'tapp' is not one of tap, pcap, udp (did you mean 'tap'?)");
        assertError(parse(base("vni: 1001", "vni: 1001\n    ports: [{ type: tap, name: tap-blue-is-too-long }]")),
                "tenants.blue.ports[0].name", 10, "is not a valid interface name");
        assertError(parse(base("vni: 1001", "vni: 1001\n    ports: [{ type: pcap, name: eth0 }]")),
                "tenants.blue.ports[0].name", 10, "unknown key 'name'");
        String twice = "vni: 1001\n    ports: [{ type: udp, listen: 127.0.0.1:7001, remote: 127.0.0.1:7002 },"
                + " { type: udp, listen: 127.0.0.1:7001, remote: 127.0.0.1:7003 }]";
        assertError(parse(base("vni: 1001", twice)), "tenants.blue.ports[1].listen", 10,
                "is also used by tenants.blue.ports[0].listen");
        assertError(parse(base("vni: 1001", "vni: 1001\n    ports: [{ type: udp, listen: 127.0.0.1:70001,"
                + " remote: 127.0.0.1:7002 }]")), "tenants.blue.ports[0].listen", 10, "out of range (expected 1..65535)");
    }

    @Test
    void namesMustBeUsableInPathsAndLabels() {
        assertError(parse(base("blue:", "bl.ue:").replace("[blue]", "[bl.ue]")), "tenants.bl.ue", 8,
                "tenant 'bl.ue' is not a valid name");
    }

    @Test
    void cleartextTenantIsWarnedAbout() {
        ConfigResult r = parse(withRed("vni: 1002, peers: [gw-b], security: none"));
        assertValid(r);
        assertEquals("test.yaml:11: tenants.red.security: warning: cleartext: tenant traffic crosses the underlay "
                + "unencrypted", assertWarning(r, "tenants.red.security", "cleartext").toString());
    }
}
