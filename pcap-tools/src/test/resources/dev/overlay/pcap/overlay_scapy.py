#!/usr/bin/python3
"""Scapy's side of the pcap-tools tests: an independent builder and dissector of VXLAN and Geneve.

  overlay_scapy.py frames CAPTURE   each packet's bytes, one hex line per packet
  overlay_scapy.py inner CAPTURE    the frame inside each packet's VXLAN or Geneve header as
                                    scapy dissects it, one hex line per packet ('-' if none)
  overlay_scapy.py build OUT        writes OUT (pcap, microseconds) with the packets below and
                                    prints, per packet, '<expected outcome> <inner frame hex>'

Nothing here is random: the packets and their timestamps are the same on every run.
"""
import sys

from scapy.all import (ARP, DNS, DNSQR, ICMPv6EchoRequest, IP, IPv6, TCP, UDP, Ether, Raw, load_contrib,
                       rdpcap, wrpcap)
from scapy.layers.vxlan import VXLAN

load_contrib("geneve")
from scapy.contrib.geneve import GENEVE, GeneveOptions  # noqa: E402

GW_MAC, PEER_MAC = "02:00:00:00:0b:01", "02:00:00:00:0a:01"
BLUE_VNI, RED_VNI = 1001, 1002


def inner_frames():
    """Tenant frames with every field written out (scapy would otherwise fill some at random)."""
    arp = (Ether(dst="ff:ff:ff:ff:ff:ff", src="02:00:00:00:01:01")
           / ARP(op=1, hwsrc="02:00:00:00:01:01", psrc="10.0.0.1", hwdst="00:00:00:00:00:00", pdst="10.0.0.2"))
    udp4 = (Ether(dst="02:00:00:00:01:02", src="02:00:00:00:01:01")
            / IP(src="10.0.0.1", dst="10.0.0.2", id=7, ttl=64) / UDP(sport=40000, dport=5001)
            / Raw(b"scapy blue " * 20))
    icmp6 = (Ether(dst="02:00:00:00:02:02", src="02:00:00:00:02:01")
             / IPv6(src="fd00::1", dst="fd00::2", hlim=64) / ICMPv6EchoRequest(id=1, seq=1, data=b"red" * 19))
    tcp = (Ether(dst="02:00:00:00:02:01", src="02:00:00:00:02:02")
           / IP(src="10.0.0.2", dst="10.0.0.1", id=9, ttl=64, flags="DF")
           / TCP(sport=80, dport=40001, seq=1000, ack=2000, flags="PA", window=502)
           / Raw(b"HTTP/1.1 200 OK\r\n\r\nred" + bytes(range(256)) * 4))
    return [bytes(f) for f in (arp, udp4, icmp6, tcp)]


def outer4(dport, sport=49200):
    return (Ether(dst=GW_MAC, src=PEER_MAC) / IP(src="192.0.2.2", dst="192.0.2.1", id=0, flags="DF", ttl=64)
            / UDP(sport=sport, dport=dport, chksum=0))


def outer6(dport, sport=49300):
    return (Ether(dst=GW_MAC, src=PEER_MAC) / IPv6(src="2001:db8::2", dst="2001:db8::1", hlim=64, fl=0x12345)
            / UDP(sport=sport, dport=dport))


def geneve(vni, frame, options, critical=0, oam=0):
    return GENEVE(vni=vni, proto=0x6558, critical=critical, oam=oam, options=options) / Raw(frame)


def build(out):
    arp, udp4, icmp6, tcp = inner_frames()
    known = GeneveOptions(classid=0x0102, type=0x01, data=b"\x00\x00\x00\x0a")
    # An option the tenant does not know but may ignore: the critical bit (0x80) is clear.
    ignorable = GeneveOptions(classid=0xFF01, type=0x07, data=b"\x01\x02\x03\x04\x05\x06\x07\x08")
    critical = GeneveOptions(classid=0xFF01, type=0x85, data=b"\x00\x00\x00\x01")
    packets = [
        ("ok", arp, outer4(4789) / VXLAN(flags=0x08, vni=BLUE_VNI) / Raw(arp)),
        ("ok", udp4, outer6(4789) / VXLAN(flags=0x08, vni=BLUE_VNI) / Raw(udp4)),
        ("ok", icmp6, outer4(6081) / geneve(RED_VNI, icmp6, [known, ignorable])),
        ("ok", tcp, outer6(6081) / geneve(RED_VNI, tcp, [known])),
        ("not-overlay", None, outer4(53) / DNS(id=1, qd=DNSQR(qname="example.org"))),
        ("unknown-vni", None, outer4(4789) / VXLAN(flags=0x08, vni=4242) / Raw(arp)),
        ("geneve-critical-option", None, outer4(6081) / geneve(RED_VNI, icmp6, [known, critical], critical=1)),
        ("vxlan-no-i-flag", None, outer4(4789) / VXLAN(flags=0x00, vni=BLUE_VNI) / Raw(arp)),
        ("ok", tcp, outer4(6081, sport=65535) / geneve(RED_VNI, tcp, [])),
        # RFC 8926 section 3.4: a control message (O bit) is for the endpoint, never the tenant.
        ("geneve-control", None, outer4(6081) / geneve(RED_VNI, icmp6, [known], oam=1)),
    ]
    written = []
    for i, (outcome, frame, pkt) in enumerate(packets):
        pkt = Ether(bytes(pkt))  # freeze lengths and checksums as scapy computes them
        pkt.time = 1767225600 + i / 1000
        written.append(pkt)
        print(outcome, frame.hex() if frame else "-")
    wrpcap(out, written)


def inner(capture):
    for pkt in rdpcap(capture):
        layer = pkt.getlayer(VXLAN) or pkt.getlayer(GENEVE)
        print(bytes(layer.payload).hex() if layer else "-")


def frames(capture):
    for pkt in rdpcap(capture):
        print(bytes(pkt).hex())


if __name__ == "__main__":
    {"build": build, "inner": inner, "frames": frames}[sys.argv[1]](sys.argv[2])
