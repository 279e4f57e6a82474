"""Oracle for ScapyInteropTest: scapy's SecurityAssociation opens our ESP packets and seals its own.

stdin: a JSON list of cases; stdout: a JSON list of results, one per case, in order.
A case: {"op": "decrypt"|"encrypt", "crypt": scapy name, "key": hex (key||salt), "icv": int|null,
"auth": scapy name|null, "auth_key": hex|null, "spi": int, "esn": bool, "esn_hi": int, "seq": int,
"esp": hex (decrypt) | "payload": hex, "nh": int (encrypt)}

"SHA2-256-96" is HMAC-SHA-256 truncated to 96 bits, what Linux's `auth hmac(sha256)` does
(draft-ietf-ipsec-ciph-sha-256-00): scapy has no entry for it, so one is made here from scapy's
own AuthAlgo (its HMAC, its truncation) with that ICV size.
"""
import json
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.hmac import HMAC
from scapy.layers.inet import IP
from scapy.layers.ipsec import AUTH_ALGOS, ESP, AuthAlgo, SecurityAssociation
from scapy.packet import Raw

AUTH_ALGOS["SHA2-256-96"] = AuthAlgo("SHA2-256-96", mac=HMAC, digestmod=hashes.SHA256, icv_size=12)


def sa_of(c):
    return SecurityAssociation(
        ESP, spi=c["spi"], crypt_algo=c["crypt"],
        crypt_key=bytes.fromhex(c["key"]) if c["key"] else None,
        crypt_icv_size=c.get("icv"),
        auth_algo=c.get("auth"), auth_key=bytes.fromhex(c["auth_key"]) if c.get("auth_key") else None,
        esn_en=c["esn"], esn=c["esn_hi"])


def run(c):
    if c["op"] == "skip":
        return {}
    sa = sa_of(c)
    if c["op"] == "decrypt":
        wire = IP(bytes(IP(src="192.0.2.1", dst="192.0.2.2", proto=50) / Raw(bytes.fromhex(c["esp"]))))
        plain = sa.decrypt(wire)
        return {"payload": bytes(plain[IP].payload).hex(), "nh": plain[IP].proto}
    inner = IP(src="192.0.2.1", dst="192.0.2.2", proto=c["nh"]) / Raw(bytes.fromhex(c["payload"]))
    inner = IP(bytes(inner))
    sealed = sa.encrypt(inner, seq_num=c["seq"])
    return {"esp": bytes(sealed[ESP]).hex()}


out = []
for case in json.load(sys.stdin):
    try:
        out.append(run(case))
    except Exception as e:  # reported per case so the test names the failing transform
        out.append({"error": "%s: %s" % (type(e).__name__, e)})
print(json.dumps(out))
