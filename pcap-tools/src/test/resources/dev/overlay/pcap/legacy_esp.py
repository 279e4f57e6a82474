#!/usr/bin/python3
"""The scapy side of LegacyEspTest: ESP packets as other implementations send them, beyond RFC 4868.

usage: legacy_esp.py SPEC.json   (prints a JSON object on stdout: case name -> inner packets, hex)

For each case, scapy's SecurityAssociation (tunnel mode, 192.0.2.2 -> 192.0.2.1) encrypts three
IPv4/UDP packets of 20, 333 and 1000 bytes of payload and writes them, behind Ethernet, to the
case's `out` (to UDP port 7777, which tshark dissects no further: a dissector's exception on the
inner payload would cut tshark's ESP tree short of its ICV check). "SHA2-256-96" is HMAC-SHA-256 truncated to 96 bits (draft-ietf-ipsec-ciph-sha-256-00,
what Linux's `auth hmac(sha256)` does): scapy has no entry for it, so one is made from scapy's own
AuthAlgo (its HMAC, its truncation). Keys of any length go to scapy's HMAC as they are.
"""
import json
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.hmac import HMAC
from scapy.layers.inet import IP, UDP
from scapy.layers.ipsec import AUTH_ALGOS, ESP, AuthAlgo, SecurityAssociation
from scapy.layers.l2 import Ether
from scapy.packet import Raw
from scapy.utils import wrpcap

AUTH_ALGOS["SHA2-256-96"] = AuthAlgo("SHA2-256-96", mac=HMAC, digestmod=hashes.SHA256, icv_size=12)


def run(case):
    sa = SecurityAssociation(ESP, spi=case["spi"], crypt_algo=case["crypt"],
                             crypt_key=bytes.fromhex(case["key"]), auth_algo=case["auth"],
                             auth_key=bytes.fromhex(case["auth_key"]),
                             tunnel_header=IP(src="192.0.2.2", dst="192.0.2.1"))
    inner, wire = [], []
    for n, size in enumerate((20, 333, 1000)):
        packet = IP(bytes(IP(src="10.0.0.2", dst="10.0.0.1", id=n + 1) / UDP(sport=5000 + n, dport=7777)
                          / Raw(bytes((n * 7 + i) % 256 for i in range(size)))))
        inner.append(bytes(packet).hex())
        wire.append(Ether(src="02:00:00:00:0b:01", dst="02:00:00:00:0a:01") / sa.encrypt(packet))
    wrpcap(case["out"], wire)
    return inner


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    json.dump({case["name"]: run(case) for case in spec["cases"]}, sys.stdout)


if __name__ == "__main__":
    main()
