#!/usr/bin/python3
"""The scapy side of ScapyEspInteropTest: an ESP implementation nobody on this project wrote.

usage: esp_interop.py SPEC.json   (prints a JSON object on stdout, one entry per case)

For each case of the spec:
  1. decrypts every packet of `ours` (written by `overlay pcap encode`) with scapy's
     SecurityAssociation built from the case's out SA, and reports the protected UDP datagram
     (the VXLAN one) of each as hex;
  2. encrypts each of `frames` as gw-b would send it to gw-a (IP / UDP to 4789 / VXLAN / frame)
     with the case's in SA, and writes the wire packets to `theirs` for `overlay pcap decode`.
Transport or tunnel mode, IPv4 or IPv6, raw ESP or ESP in UDP 4500 (RFC 3948, nat_t_header).
"""
import json
import sys

from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.ipsec import ESP, SecurityAssociation
from scapy.layers.l2 import Ether
from scapy.packet import Raw
from scapy.utils import rdpcap, wrpcap

GW_MAC = "02:00:00:00:0a:01"
PEER_MAC = "02:00:00:00:0b:01"


def security_association(case, spi, key, integrity_key, src, dst):
    ip = IPv6 if case["ipv6"] else IP
    kwargs = {
        "crypt_algo": case["crypt"],
        "crypt_key": bytes.fromhex(key) if key else None,
        "auth_algo": case["auth"],
        "auth_key": bytes.fromhex(integrity_key) if integrity_key else None,
    }
    if case.get("icv"):
        kwargs["crypt_icv_size"] = case["icv"]
    if case["mode"] == "tunnel":
        kwargs["tunnel_header"] = ip(src=src, dst=dst)
    if case["udp"]:
        kwargs["nat_t_header"] = UDP(sport=4500, dport=4500)
    return SecurityAssociation(ESP, spi=spi, seq_num=1, **kwargs)


def run(case):
    ip = IPv6 if case["ipv6"] else IP
    gw, peer = case["gateway"], case["peer"]
    out_sa = security_association(case, case["out_spi"], case["out_key"], case["out_integrity_key"], gw, peer)
    decrypted = []
    for packet in rdpcap(case["ours"]):
        try:
            clear = out_sa.decrypt(packet[ip])
            # Over IPv6 scapy 2.5 keeps the UDP 4500 header in transport mode: skip it.
            udp = clear[UDP]
            if udp.dport == 4500 and udp.sport == 4500 and case["udp"]:
                udp = clear.getlayer(UDP, 2)
            decrypted.append(bytes(udp).hex())
        except Exception as e:  # reported per packet, so the test names the case that failed
            decrypted.append("error: %s %s" % (type(e).__name__, e))

    in_sa = security_association(case, case["in_spi"], case["in_key"], case["in_integrity_key"], peer, gw)
    vxlan = bytes([0x08, 0, 0, 0]) + case["vni"].to_bytes(3, "big") + b"\x00"
    wire = []
    for i, frame in enumerate(case["frames"]):
        inner = ip(src=peer, dst=gw) / UDP(sport=49152 + i, dport=4789) / Raw(vxlan + bytes.fromhex(frame))
        encrypted = in_sa.encrypt(inner)
        if case["udp"] and not case["ipv6"]:
            # scapy 2.5 leaves the UDP 4500 header's length at 8 over IPv4 (the payload is then
            # outside the datagram, and any receiver drops it): have it computed on build.
            del encrypted[UDP].len
            encrypted = IP(bytes(encrypted))
        wire.append(Ether(src=PEER_MAC, dst=GW_MAC) / encrypted)
    wrpcap(case["theirs"], wire)
    return {"decrypted": decrypted, "written": len(wire)}


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    json.dump({case["name"]: run(case) for case in spec["cases"]}, sys.stdout)


if __name__ == "__main__":
    main()
