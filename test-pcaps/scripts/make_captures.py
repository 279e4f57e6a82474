#!/usr/bin/python3
"""Writes the project's own test captures, byte for byte the same on every run.

    /usr/bin/python3 test-pcaps/scripts/make_captures.py [OUTDIR]     (default: test-pcaps/)

tenant-blue.pcap, tenant-red.pcap   two tenants whose inner addresses overlap (both talk
                                    10.0.0.1 <-> 10.0.0.2, with different MACs): ARP, ping,
                                    UDP and a short TCP connection; untagged, microsecond pcap
tenant-blue-nsec.pcap               tenant-blue.pcap as a nanosecond pcap (same timestamps)
tenants-trunk.pcapng                both tenants interleaved on a trunk, blue tagged VLAN 101,
                                    red VLAN 102, plus one untagged frame and one VLAN 999
                                    frame (no tenant); pcapng, if_tsresol 10^-9

Scapy builds the frames (every field that has a default is written out, so a scapy upgrade
cannot change them); the files are written here with struct rather than scapy's writers or
editcap, whose headers name the tool version and would change the bytes between machines.
Frame formats: IEEE 802.3, 802.1Q; file formats: draft-ietf-opsawg-pcap, draft-ietf-opsawg-pcapng.
"""
import os
import struct
import sys

from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.l2 import ARP, Ether
from scapy.packet import Padding, Raw

# 2026-01-01T00:00:00Z: timestamps are fixed, never the time of the run.
BASE_SECONDS = 1767225600
ETHERNET_MIN = 60  # shortest frame without FCS: shorter ones are padded on the wire
LINKTYPE_ETHERNET = 1
SNAPLEN = 262144

TENANTS = {
    # name: (MAC of 10.0.0.1, MAC of 10.0.0.2, VLAN on the trunk, first microsecond offset)
    "blue": ("02:00:00:00:01:01", "02:00:00:00:01:02", 101, 17),
    "red": ("02:00:00:00:02:01", "02:00:00:00:02:02", 102, 503),
}
HOST_A = "10.0.0.1"
HOST_B = "10.0.0.2"


def filler(tenant, size):
    """Payload naming its tenant, so a frame delivered to the wrong tenant is visible."""
    return ((tenant + " ") * (size // (len(tenant) + 1) + 1)).encode()[:size]


def pad(frame):
    raw = bytes(frame)
    return raw + bytes(max(0, ETHERNET_MIN - len(raw)))


def tenant_frames(tenant):
    """The frames of one tenant's conversation, untagged, in order."""
    mac_a, mac_b, _, _ = TENANTS[tenant]
    a_to_b = Ether(src=mac_a, dst=mac_b, type=0x0800)
    b_to_a = Ether(src=mac_b, dst=mac_a, type=0x0800)
    ids = {"a": 0x0100, "b": 0x0200}

    def ip(side, proto):
        ids[side] += 1
        src, dst = (HOST_A, HOST_B) if side == "a" else (HOST_B, HOST_A)
        return IP(version=4, ihl=5, tos=0, id=ids[side], flags="DF", frag=0, ttl=64, proto=proto, src=src, dst=dst)

    def tcp(side, flags, seq, ack, data=b"", options=()):
        sport, dport = (43210, 80) if side == "a" else (80, 43210)
        eth = a_to_b if side == "a" else b_to_a
        segment = TCP(sport=sport, dport=dport, seq=seq, ack=ack, dataofs=None, reserved=0, flags=flags,
                      window=64240, urgptr=0, options=list(options))
        return eth / ip(side, 6) / segment / Raw(data) if data else eth / ip(side, 6) / segment

    def udp(side, size):
        sport, dport = (40000, 5001) if side == "a" else (5001, 40000)
        eth = a_to_b if side == "a" else b_to_a
        return eth / ip(side, 17) / UDP(sport=sport, dport=dport) / Raw(filler(tenant, size))

    request = ("GET /%s HTTP/1.1\r\nHost: 10.0.0.2\r\nUser-Agent: overlay-test-pcaps\r\n\r\n" % tenant).encode()
    request += filler(tenant, 200 - len(request))
    response = filler(tenant, 1346)  # 14 + 20 + 20 + 1346 = 1400-byte frame
    a_isn, b_isn = 1000, 5000
    frames = [
        Ether(src=mac_a, dst="ff:ff:ff:ff:ff:ff", type=0x0806)
        / ARP(hwtype=1, ptype=0x0800, hwlen=6, plen=4, op=1, hwsrc=mac_a, psrc=HOST_A,
              hwdst="00:00:00:00:00:00", pdst=HOST_B),
        Ether(src=mac_b, dst=mac_a, type=0x0806)
        / ARP(hwtype=1, ptype=0x0800, hwlen=6, plen=4, op=2, hwsrc=mac_b, psrc=HOST_B, hwdst=mac_a, pdst=HOST_A),
        a_to_b / ip("a", 1) / ICMP(type=8, code=0, id=0x4f56, seq=1) / Raw(filler(tenant, 56)),
        b_to_a / ip("b", 1) / ICMP(type=0, code=0, id=0x4f56, seq=1) / Raw(filler(tenant, 56)),
        udp("a", 18),    # 60-byte frame: the minimum
        udp("b", 470),   # 512-byte frame
        udp("a", 1358),  # 1400-byte frame
        tcp("a", "S", a_isn, 0, options=[("MSS", 1460)]),
        tcp("b", "SA", b_isn, a_isn + 1, options=[("MSS", 1460)]),
        tcp("a", "A", a_isn + 1, b_isn + 1),
        tcp("a", "PA", a_isn + 1, b_isn + 1, request),
        tcp("b", "A", b_isn + 1, a_isn + 1 + len(request)),
        tcp("b", "PA", b_isn + 1, a_isn + 1 + len(request), response),
        tcp("a", "FA", a_isn + 1 + len(request), b_isn + 1 + len(response)),
        tcp("b", "FA", b_isn + 1 + len(response), a_isn + 2 + len(request)),
        tcp("a", "A", a_isn + 2 + len(request), b_isn + 2 + len(response)),
    ]
    return [pad(f) for f in frames]


def tenant_timestamps(tenant, count):
    """(seconds, nanoseconds): one frame per millisecond, whole microseconds."""
    offset_us = TENANTS[tenant][3]
    return [(BASE_SECONDS, (i * 1000 + offset_us) * 1000) for i in range(count)]


def tag(frame, vlan):
    """Inserts an 802.1Q tag (TPID 0x8100, PCP 0, DEI 0) after the source MAC."""
    return frame[:12] + struct.pack(">HH", 0x8100, vlan) + frame[12:]


def trunk_frames():
    blue, red = tenant_frames("blue"), tenant_frames("red")
    frames = []
    for b, r in zip(blue, red):
        frames.append(tag(b, TENANTS["blue"][2]))
        frames.append(tag(r, TENANTS["red"][2]))
    # An untagged gratuitous ARP from a host of no tenant, and a frame on a VLAN no tenant has.
    stray = pad(Ether(src="02:00:00:00:99:01", dst="ff:ff:ff:ff:ff:ff", type=0x0806)
                / ARP(hwtype=1, ptype=0x0800, hwlen=6, plen=4, op=1, hwsrc="02:00:00:00:99:01",
                      psrc="10.0.0.99", hwdst="00:00:00:00:00:00", pdst="10.0.0.99"))
    other = pad(Ether(src="02:00:00:00:09:01", dst="02:00:00:00:09:02", type=0x0800)
                / IP(version=4, ihl=5, tos=0, id=0x0901, flags="DF", frag=0, ttl=64, proto=17,
                     src="10.9.9.1", dst="10.9.9.2")
                / UDP(sport=40000, dport=5001) / Raw(filler("vlan999", 100)))
    frames.insert(5, stray)
    frames.insert(20, tag(other, 999))
    return frames


def trunk_timestamps(count):
    """Nanosecond timestamps with digits below the microsecond: 500.123 us apart."""
    return [divmod(BASE_SECONDS * 1_000_000_000 + k * 500_123, 1_000_000_000) for k in range(count)]


def write_pcap(path, frames, stamps, nano):
    """pcap, little-endian (draft-ietf-opsawg-pcap sections 4 and 5)."""
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", magic, 2, 4, 0, 0, SNAPLEN, LINKTYPE_ETHERNET))
        for frame, (seconds, nanos) in zip(frames, stamps):
            fraction = nanos if nano else nanos // 1000
            f.write(struct.pack("<IIII", seconds, fraction, len(frame), len(frame)))
            f.write(frame)


def option(code, value):
    return struct.pack("<HH", code, len(value)) + value + bytes(-len(value) % 4)


def block(block_type, body):
    """A pcapng block: type, total length, body (padded to 32 bits), total length again."""
    body += bytes(-len(body) % 4)
    length = 12 + len(body)
    return struct.pack("<II", block_type, length) + body + struct.pack("<I", length)


def write_pcapng(path, frames, stamps):
    """pcapng, little-endian, one section, one Ethernet interface with if_tsresol = 9."""
    end_of_options = struct.pack("<HH", 0, 0)
    shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
                + option(4, b"overlay test-pcaps/scripts/make_captures.py") + end_of_options)
    idb = block(0x00000001, struct.pack("<HHI", LINKTYPE_ETHERNET, 0, SNAPLEN)
                + option(2, b"trunk0") + option(9, bytes([9])) + end_of_options)
    with open(path, "wb") as f:
        f.write(shb)
        f.write(idb)
        for frame, (seconds, nanos) in zip(frames, stamps):
            ts = seconds * 1_000_000_000 + nanos
            f.write(block(0x00000006, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(frame), len(frame))
                          + frame))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    for tenant in TENANTS:
        frames = tenant_frames(tenant)
        write_pcap(os.path.join(out, "tenant-%s.pcap" % tenant), frames, tenant_timestamps(tenant, len(frames)), False)
    blue = tenant_frames("blue")
    write_pcap(os.path.join(out, "tenant-blue-nsec.pcap"), blue, tenant_timestamps("blue", len(blue)), True)
    trunk = trunk_frames()
    write_pcapng(os.path.join(out, "tenants-trunk.pcapng"), trunk, trunk_timestamps(len(trunk)))


if __name__ == "__main__":
    main()
