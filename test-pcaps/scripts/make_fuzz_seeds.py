#!/usr/bin/python3
"""Writes the seed corpora of the Jazzer fuzz targets (FUZZING.md) into their Inputs directories.

Seeds come from the project's captures (test-pcaps/), the third-party vectors
(../shared/vectors: tcpdump's captures, geneve_vxlan_examples.json, esp_vectors.json) and a few
packets built here with scapy for paths those lack (QinQ, IPv6 extension headers, NULL ESP).
Each seed is small; every one replays as a test in `mvn test`. Run from anywhere:

    /usr/bin/python3 test-pcaps/scripts/make_fuzz_seeds.py   (the system Python, with python3-scapy)

Existing seed-* files are replaced; crash-* files (kept regressions) are left alone.
"""
import glob
import json
import os
import struct

from scapy.all import (  # noqa: F401  (scapy's layers register themselves)
    ESP, IP, TCP, UDP, Dot1AD, Dot1Q, Ether, IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, Raw, rdpcap)
from scapy.contrib.geneve import GENEVE  # noqa: F401
from scapy.layers.vxlan import VXLAN

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SHARED = os.environ.get("OVERLAY_SHARED") or os.path.join(ROOT, "..", "shared")
VECTORS = os.path.join(SHARED, "vectors")
TCPDUMP = os.path.join(VECTORS, "captures", "tcpdump")
MAX_SEED = 4096  # libFuzzer's default -max_len


def inputs(module, package, cls, method):
    d = os.path.join(ROOT, module, "src", "test", "resources", *package.split("."),
                     cls + "Inputs", method)
    os.makedirs(d, exist_ok=True)
    for f in glob.glob(os.path.join(d, "seed-*")):
        os.remove(f)
    return d


class Seeds:
    def __init__(self, directory):
        self.dir = directory
        self.seen = set()

    def add(self, name, data):
        data = bytes(data)
        if len(data) > MAX_SEED or data in self.seen:
            return
        self.seen.add(data)
        with open(os.path.join(self.dir, "seed-" + name), "wb") as f:
            f.write(data)


def packets(path, n):
    try:
        return [bytes(p) for p in rdpcap(path)[:n]]
    except Exception:  # a capture scapy cannot read is simply not a seed
        return []


def inner_frame():
    return bytes(Ether(dst="02:00:00:00:00:01", src="02:00:00:00:00:02") / IP(src="10.0.0.2", dst="10.0.0.1")
                 / UDP(sport=1234, dport=5678) / Raw(b"fuzz"))


def wire(payload, dport, ipv6=False, sport=49152, src=None, dst=None):
    if ipv6:
        ip = IPv6(src=src or "2001:db8::1", dst=dst or "2001:db8::2")
    else:
        ip = IP(src=src or "192.0.2.1", dst=dst or "192.0.2.2")
    return bytes(Ether(src="02:00:00:00:0a:01", dst="02:00:00:00:0b:01") / ip
                 / UDP(sport=sport, dport=dport) / Raw(payload))


def vxlan(vni):
    return struct.pack("!II", 0x08000000, vni << 8)


def geneve(vni, options=b"", critical=False):
    return struct.pack("!BBHI", len(options) // 4, 0x40 if critical else 0, 0x6558, vni << 8) + options


def esp_null(spi, seq, payload, next_header=17):
    pad = (-(len(payload) + 2)) % 4
    return struct.pack("!II", spi, seq) + payload + bytes(range(1, pad + 1)) + bytes([pad, next_header])


def outer_headers():
    s = Seeds(inputs("vtep", "dev.overlay.vtep", "OuterHeadersFuzzTest", "outerHeadersThenVxlanOrGeneve"))
    for path in sorted(glob.glob(os.path.join(ROOT, "test-pcaps", "expected", "*.pcap"))):
        for i, p in enumerate(packets(path, 2)):
            s.add("%s-%d" % (os.path.basename(path)[:-5], i), b"\x00" + p)
    for name in ["vxlan", "vxlan_port_8472", "geneve", "geneve-gcp", "espudp1", "gso-ipv4-vxlan-ipv4",
                 "gso-ipv6-geneve-ipv6"]:
        for i, p in enumerate(packets(os.path.join(TCPDUMP, name + ".pcap"), 3)):
            s.add("tcpdump-%s-%d" % (name, i), b"\x00" + p[:MAX_SEED - 1])
    for i, p in enumerate(packets(os.path.join(ROOT, "test-pcaps", "tenants-trunk.pcapng"), 2)):
        s.add("tagged-tenant-frame-%d" % i, b"\x00" + p)
    for ex in json.load(open(os.path.join(VECTORS, "geneve_vxlan_examples.json")))["examples"]:
        header = bytes.fromhex(ex["encap_header_hex"])
        port = ex.get("udp", {}).get("dport", 4789)
        s.add("vector-" + ex["name"], b"\x00" + wire(header + inner_frame(), port))
    inner = inner_frame()
    opts = struct.pack("!HBB", 0x0102, 0x81, 1) + b"\x00\x00\x00\x0a"
    s.add("geneve-known-critical", b"\x00" + wire(geneve(7, opts, True) + inner, 6081))
    s.add("vxlan-checksummed", b"\x01" + wire(vxlan(7) + inner, 4789))
    s.add("vxlan-ipv6-checksummed", b"\x01" + wire(vxlan(7) + inner, 4789, ipv6=True))
    qinq = (Ether(src="02:00:00:00:0a:01", dst="02:00:00:00:0b:01") / Dot1AD(vlan=10) / Dot1Q(vlan=20)
            / IP(src="192.0.2.1", dst="192.0.2.2") / UDP(sport=49152, dport=4789) / Raw(vxlan(7) + inner))
    s.add("vxlan-qinq", b"\x00" + bytes(qinq))
    ext = (Ether(src="02:00:00:00:0a:01", dst="02:00:00:00:0b:01")
           / IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt()
           / IPv6ExtHdrRouting() / IPv6ExtHdrFragment(offset=0, m=0) / UDP(sport=49152, dport=6081)
           / Raw(geneve(7) + inner))
    s.add("geneve-ipv6-extension-headers", b"\x00" + bytes(ext))
    # Headroom bits (1-3) set: the same packet at another buffer offset.
    s.add("vxlan-headroom", b"\x0e" + wire(vxlan(7) + inner, 4789))


def esp():
    s = Seeds(inputs("esp", "dev.overlay.esp", "EspDecryptFuzzTest", "openArbitraryEsp"))
    udp = bytes(UDP(sport=49152, dport=4789) / Raw(vxlan(7) + inner_frame()))
    spi = struct.pack("!I", 0x1001)
    # Sealed by the harness (bit 2): header, IV, then plaintext and trailer as chosen here.
    s.add("gcm-sealed", bytes([4 | 0]) + spi + struct.pack("!I", 1) + bytes(8) + esp_null(0, 0, udp)[8:])
    s.add("null-hmac-sealed", bytes([4 | 1]) + esp_null(0x1001, 1, udp))
    s.add("null-hmac-sealed-dummy", bytes([4 | 1]) + esp_null(0x1001, 2, b"", 59))
    body = udp + b"\x01\x02"
    pad = (-(len(body) + 2)) % 16
    cbc_plain = body + bytes(range(3, 3 + pad)) + bytes([2 + pad, 17])
    s.add("cbc-hmac-sealed", bytes([4 | 2]) + spi + struct.pack("!I", 1) + bytes(range(16)) + cbc_plain)
    s.add("null-plain", bytes([3]) + esp_null(0x1001, 1, udp))
    s.add("null-plain-bad-padding", bytes([3]) + esp_null(0x1001, 1, udp)[:-2] + b"\x07\x11")
    s.add("null-plain-dummy", bytes([3]) + esp_null(0x1001, 5, b"", 59))
    # Raw bytes (no seal) of real ESP packets: each published vector under each SA kind.
    for v in json.load(open(os.path.join(VECTORS, "esp_vectors.json")))["vectors"]:
        pkt = bytes.fromhex(v["esp_packet_hex"])
        for kind in range(3):
            s.add("vector-%s-sa%d" % (v["name"], kind), bytes([kind]) + pkt)
    for path in sorted(glob.glob(os.path.join(ROOT, "test-pcaps", "expected", "*.esp-gcm256.pcap"))):
        for i, p in enumerate(packets(path, 2)):
            e = Ether(p)
            s.add("%s-%d" % (os.path.basename(path)[:-5], i), b"\x00" + bytes(e[UDP].payload))


def config_text():
    s = Seeds(inputs("overlay", "dev.overlay.config", "ConfigTextFuzzTest", "parseArbitraryText"))
    for path in sorted(glob.glob(os.path.join(ROOT, "configs", "*.yaml"))
                       + glob.glob(os.path.join(ROOT, "test-pcaps", "configs", "*.yaml"))):
        name = os.path.relpath(path, ROOT).replace("/", "-")
        s.add(name, open(path, "rb").read())
    s.add("anchors", b"a: &x [1, 2]\nb: *x\nc: {<<: *x}\n")
    s.add("flow", b"gateway: { name: gw, address: 192.0.2.1 }\ntenants: { t: { vni: 1 } }\n")


def decap():
    s = Seeds(inputs("overlay", "dev.overlay.datapath", "OverlayDecapFuzzTest", "decapsulateArbitraryPacket"))
    for path in sorted(glob.glob(os.path.join(ROOT, "test-pcaps", "expected", "*.esp-gcm256.pcap"))):
        for i, p in enumerate(packets(path, 2)):
            s.add("%s-%d" % (os.path.basename(path)[:-5], i), b"\x00" + p)
    # The cleartext captures, moved to the cleartext tenants' VNIs (1001 -> 2001, 1002 -> 2002).
    for path in sorted(glob.glob(os.path.join(ROOT, "test-pcaps", "expected", "*.cleartext*.pcap"))):
        for i, p in enumerate(packets(path, 2)):
            e = Ether(p)
            payload = bytearray(bytes(e[UDP].payload))
            vni = int.from_bytes(payload[4:7], "big")
            payload[4:7] = (vni + 1000).to_bytes(3, "big")
            if e[UDP].dport == 6081 and len(payload) > 10:
                payload[10] |= 0x80  # plain-g knows its option as critical
            e[UDP].remove_payload()
            e[UDP].add_payload(Raw(bytes(payload)))
            del e[UDP].chksum, e[UDP].len
            ipv6 = IPv6 in e
            if not ipv6:
                del e[IP].chksum, e[IP].len
            else:
                del e[IPv6].plen
            s.add("%s-%d" % (os.path.basename(path)[:-5], i), bytes([1 | (2 if ipv6 else 0)]) + bytes(e))
    inner = inner_frame()
    for ipv6 in (False, True):
        v = 2 if ipv6 else 0
        protected = bytes(UDP(sport=49152, dport=4789, chksum=0) / Raw(vxlan(1003) + inner))
        out_sa = esp_null(0x3001, 1, protected)
        s.add("null-esp-out%s" % ("-ipv6" if ipv6 else ""), bytes([v]) + wire(out_sa, 4500, ipv6, 4500))
        in_sa = esp_null(0x3002, 1, protected)
        src, dst = ("2001:db8::2", "2001:db8::1") if ipv6 else ("192.0.2.2", "192.0.2.1")
        s.add("null-esp-in%s" % ("-ipv6" if ipv6 else ""), bytes([v]) + wire(in_sa, 4500, ipv6, 4500, src, dst))
    s.add("socket-esp-null", bytes([4]) + esp_null(0x3002, 1, bytes(
        UDP(sport=49152, dport=4789, chksum=0) / Raw(vxlan(1003) + inner))))
    s.add("socket-vxlan", bytes([8]) + vxlan(2001) + inner)
    opts = struct.pack("!HBB", 0x0102, 0x81, 1) + b"\x00\x00\x00\x0a"
    s.add("socket-geneve", bytes([12]) + geneve(2002, opts, True) + inner)
    s.add("nat-keepalive", b"\x00" + wire(b"\xff", 4500, sport=4500))
    s.add("ike-non-esp-marker", b"\x00" + wire(b"\x00\x00\x00\x00" + b"ike", 4500, sport=4500))


def software_offloads():
    """A virtio_net_hdr (or none: a flag byte and an MTU) and a frame, as a TAP or pcap reader has them."""
    s = Seeds(inputs("overlay", "dev.overlay.gateway.port", "SoftwareOffloadsFuzzTest",
                     "anyFrameIsDeliveredWholeOrRefusedWithNothingDelivered"))

    def header(flags, gso_type, gso_size, csum_start, csum_offset, hdr_len=0):
        return struct.pack("<BBHHHH", flags, gso_type, hdr_len, gso_size, csum_start, csum_offset)

    def seed(name, hdr, frame, without=0, mtu=1500):
        s.add(name, hdr + bytes([without]) + struct.pack("<H", mtu - 576) + bytes(frame))

    none = header(0, 0, 0, 0, 0)
    payload = bytes(range(256)) * 11
    tcp4 = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src="10.0.0.1", dst="10.0.0.2") \
        / TCP(sport=40000, dport=5201, flags="PA", seq=7) / payload
    tcp6 = Ether() / IPv6(src="fd00::1", dst="fd00::2") / TCP(sport=40000, dport=5201, flags="PA") / payload
    udp4 = Ether() / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=4433, dport=443) / payload
    tagged = Ether() / Dot1Q(vlan=100) / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=4433, dport=443) / payload[:600]
    seed("tso-ipv4", header(1, 1, 1000, 34, 16), tcp4)
    seed("tso-ipv6-ecn", header(1, 4 | 0x80, 1220, 54, 16), tcp6)
    seed("uso-ipv4", header(1, 5, 700, 34, 6), udp4)
    seed("partial-udp-tagged", header(1, 0, 0, 38, 6), tagged)
    seed("ufo", header(1, 3, 1000, 34, 6), udp4)
    seed("plain", none, bytes(tcp4)[:200])
    tunnelled = Ether() / IP(src="10.1.0.1", dst="10.1.0.2") / UDP(sport=49999, dport=4789) / VXLAN(vni=5) \
        / Ether() / IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=40000, dport=5201, flags="PA") / payload[:2500]
    seed("tso-in-vxlan", header(1, 1, 1000, 84, 16), tunnelled)
    seed("fallback-tcp-super-frame", none, tcp4, without=3)
    seed("fallback-partial-udp-tagged", none, tagged, without=3)
    seed("fallback-udp-super-frame", none, udp4, without=3, mtu=1280)


def capture_files():
    s = Seeds(inputs("pcap-tools", "dev.overlay.pcap.capture", "CaptureReaderFuzzTest", "readArbitraryFile"))
    files = [os.path.join(ROOT, "test-pcaps", "tenant-red.pcap"),
             os.path.join(ROOT, "test-pcaps", "tenant-blue-nsec.pcap"),
             os.path.join(ROOT, "test-pcaps", "tenants-trunk.pcapng"),
             os.path.join(TCPDUMP, "geneve-gcp.pcap"),
             os.path.join(TCPDUMP, "espudp1.pcap"),
             os.path.join(VECTORS, "captures", "rfc7634", "rfc7634-appendix-b.pcap")]
    for path in files:
        data = open(path, "rb").read()
        name = os.path.basename(path)
        # The head of each capture (header and first records) keeps seeds small and fast.
        s.add(name + "-head", data[:1200])
        s.add(name + "-header-only", data[:24] if not name.endswith(".pcapng") else data[:200])
    s.add("geneve-gcp.pcap", open(files[3], "rb").read())


if __name__ == "__main__":
    outer_headers()
    esp()
    config_text()
    decap()
    software_offloads()
    capture_files()
