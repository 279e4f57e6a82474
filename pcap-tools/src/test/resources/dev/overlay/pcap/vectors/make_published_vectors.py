#!/usr/bin/python3
"""Writes the published ESP packets of two sources as JSON test data, each checked first.

  dpdk-ipsec-vectors.json          DPDK app/test/test_cryptodev_security_ipsec_test_vectors.h
  draft-mcgrew-gcm-test-01.json    the test cases of draft-mcgrew-gcm-test-01 section 4

Usage: make_published_vectors.py DPDK_HEADER DPDK_COMMIT DRAFT_CASES OUT_DIR
  e.g. git -C dpdk show HEAD:app/test/test_cryptodev_security_ipsec_test_vectors.h > h &&
       ./make_published_vectors.py h $(git -C dpdk rev-parse HEAD) draft-mcgrew-gcm-test-01-cases.txt .

DRAFT_CASES (draft-mcgrew-gcm-test-01-cases.txt beside this file) holds the draft's cases as it
prints them (key, spi, seq, nonce, plaintext, packet), one blank line apart, # for comments. Every packet is opened here with python3-cryptography (the ICV
checked, the payload decrypted, the padding checked) before it is written; a packet that does
not open stops the script. Only values are taken from the sources: no code.
"""
import json
import re
import struct
import sys

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM
import cryptography

HASHES = {'hmac-sha256': hashes.SHA256, 'hmac-sha384': hashes.SHA384, 'hmac-sha512': hashes.SHA512,
          'hmac-md5': hashes.MD5}


def xcbc_mac_96(key, data):
    """RFC 3566: AES-XCBC-MAC, truncated to 96 bits."""
    ecb = lambda k, b: Cipher(algorithms.AES(k), modes.ECB()).encryptor().update(b)
    k1, k2, k3 = (ecb(key, bytes([i]) * 16) for i in (1, 2, 3))
    blocks = [data[i:i + 16] for i in range(0, len(data), 16)] or [b'']
    e = bytes(16)
    for b in blocks[:-1]:
        e = ecb(k1, bytes(x ^ y for x, y in zip(e, b)))
    last = blocks[-1]
    if len(last) == 16:
        m = bytes(x ^ y for x, y in zip(last, k2))
    else:
        last = last + b'\x80' + bytes(15 - len(last))
        m = bytes(x ^ y for x, y in zip(last, k3))
    return ecb(k1, bytes(x ^ y for x, y in zip(e, m)))[:12]


def open_esp(v, esp):
    """(plaintext incl. trailer) of the ESP packet esp (SPI..ICV) under vector v; raises when it does not open."""
    cipher, icv_len = v['cipher'], v['icv_len']
    key = bytes.fromhex(v['key_hex'] or '')
    salt = bytes.fromhex(v['salt_hex'] or '')
    seq_hi = struct.pack('>I', v['seq64'] >> 32) if v['esn'] else b''
    header = esp[:8]
    if cipher in ('aes-gcm', 'aes-ccm'):
        iv = esp[8:16]
        body = esp[16:]
        aad = header[:4] + seq_hi + header[4:8]
        aead = AESGCM(key) if cipher == 'aes-gcm' else AESCCM(key, tag_length=icv_len)
        return aead.decrypt(salt + iv, body, aad)
    if cipher == 'aes-gmac':
        iv = esp[8:16]
        body, tag = esp[16:-icv_len], esp[-icv_len:]
        aad = header[:4] + seq_hi + header[4:8] + iv + body
        AESGCM(key).decrypt(salt + iv, tag, aad)
        return body
    # cipher then separate integrity: the ICV first (RFC 4303 3.4.4.1)
    auth = v['auth']
    if icv_len:
        signed, icv = esp[:-icv_len], esp[-icv_len:]
        if auth == 'aes-xcbc-mac':
            want = xcbc_mac_96(bytes.fromhex(v['auth_key_hex']), signed + seq_hi)
        else:
            h = hmac.HMAC(bytes.fromhex(v['auth_key_hex']), HASHES[auth]())
            h.update(signed + seq_hi)
            want = h.finalize()[:icv_len]
        if want != icv:
            raise ValueError('ICV mismatch')
    else:
        signed = esp
    iv_len = {'aes-cbc': 16, 'aes-ctr': 8, '3des-cbc': 8, 'des-cbc': 8, 'null': 0}[cipher]
    iv, body = signed[8:8 + iv_len], signed[8 + iv_len:]
    if cipher == 'aes-cbc':
        c = Cipher(algorithms.AES(key), modes.CBC(iv))
    elif cipher == 'aes-ctr':
        c = Cipher(algorithms.AES(key), modes.CTR(salt + iv + b'\x00\x00\x00\x01'))  # RFC 3686 section 4
    elif cipher in ('3des-cbc', 'des-cbc'):
        c = Cipher(algorithms.TripleDES(key), modes.CBC(iv))  # an 8-byte key is single DES
    else:
        return body
    d = c.decryptor()
    return d.update(body) + d.finalize()


def trailer(plain):
    """payload, padding, pad length, next header of a plaintext; raises on bad padding (RFC 4303 2.4)."""
    pad_length, next_header = plain[-2], plain[-1]
    payload = plain[:len(plain) - 2 - pad_length]
    padding = plain[len(payload):-2]
    if padding != bytes(range(1, pad_length + 1)):
        raise ValueError('bad padding %s' % padding.hex())
    return payload, pad_length, next_header


# ---------------------------------------------------------------- DPDK

def c_blocks(text):
    """name -> body of each 'struct ipsec_test_data NAME = { ... };'."""
    text = re.sub(r'/\*.*?\*/', '', text, flags=re.S)
    out = {}
    for m in re.finditer(r'struct ipsec_test_data (\w+) = \{', text):
        depth, i = 1, m.end()
        while depth:
            depth += {'{': 1, '}': -1}.get(text[i], 0)
            i += 1
        out[m.group(1)] = text[m.end():i - 1]
    return out


def member(body, name):
    """The bytes of '.NAME = { .data = { ... } ... }' at the top of body, or None."""
    m = re.search(r'(?m)^\t\.' + name + r' = \{\s*\.data = \{([^}]*)\}', body)
    return bytes(int(x, 16) for x in re.findall(r'0x([0-9a-fA-F]{2})', m.group(1))) if m else None


def field(body, pattern, default=None):
    m = re.search(pattern, body)
    return m.group(1) if m else default


CIPHERS = {'RTE_CRYPTO_CIPHER_AES_CBC': 'aes-cbc', 'RTE_CRYPTO_CIPHER_AES_CTR': 'aes-ctr',
           'RTE_CRYPTO_CIPHER_3DES_CBC': '3des-cbc', 'RTE_CRYPTO_CIPHER_DES_CBC': 'des-cbc',
           'RTE_CRYPTO_CIPHER_NULL': 'null', 'RTE_CRYPTO_AEAD_AES_GCM': 'aes-gcm',
           'RTE_CRYPTO_AEAD_AES_CCM': 'aes-ccm'}
AUTHS = {'RTE_CRYPTO_AUTH_NULL': None, 'RTE_CRYPTO_AUTH_SHA256_HMAC': 'hmac-sha256',
         'RTE_CRYPTO_AUTH_SHA384_HMAC': 'hmac-sha384', 'RTE_CRYPTO_AUTH_SHA512_HMAC': 'hmac-sha512',
         'RTE_CRYPTO_AUTH_MD5_HMAC': 'hmac-md5', 'RTE_CRYPTO_AUTH_AES_XCBC_MAC': 'aes-xcbc-mac'}


def dpdk(header, commit):
    vectors = []
    for name, body in c_blocks(open(header).read()).items():
        if 'RTE_SECURITY_IPSEC_SA_PROTO_ESP' not in body:
            continue  # the AH vectors: not ESP
        egress = 'RTE_SECURITY_IPSEC_SA_DIR_EGRESS' in body
        clear, wire = member(body, 'input_text'), member(body, 'output_text')
        clear, wire = clear[:length(body, 'input_text')], wire[:length(body, 'output_text')]
        if not egress:
            clear, wire = wire, clear
        aead = field(body, r'\.aead = (true|false)') == 'true'
        if aead:
            cipher = CIPHERS[field(body, r'\.algo = (RTE_CRYPTO_AEAD_\w+)')]
            auth = None
            icv_len = int(field(body, r'\.digest_length = (\d+)'))
        else:
            cipher = CIPHERS[field(body, r'\.algo = (RTE_CRYPTO_CIPHER_\w+)')]
            auth = AUTHS[field(body, r'\.algo = (RTE_CRYPTO_AUTH_\w+)')]
            icv_len = int(field(body, r'\.digest_length = (\d+)', '0'))
        key = member(body, 'key') or b''
        auth_key = member(body, 'auth_key')
        salt = member(body, 'salt')
        ipv6 = wire[0] >> 4 == 6
        ip_header = 40 if ipv6 else (wire[0] & 15) * 4
        esp = wire[ip_header:]
        spi = int(field(body, r'\.spi = (0x[0-9a-fA-F]+|\d+)'), 0)
        assert struct.unpack('>I', esp[:4])[0] == spi, name
        v = {
            'name': 'dpdk-' + name,
            'struct': name,
            'cipher': cipher,
            'key_hex': key.hex() if key else None,
            'key_bits': len(key) * 8,
            'salt_hex': salt.hex() if salt else None,
            'auth': auth,
            'auth_key_hex': auth_key.hex() if auth_key else None,
            'icv_len': icv_len,
            'spi': spi,
            'seq': struct.unpack('>I', esp[4:8])[0],
            'esn': field(body, r'\.options\.esn = (\d)') == '1',
            'seq64': None,
            'mode': 'tunnel' if 'RTE_SECURITY_IPSEC_SA_MODE_TUNNEL' in body else 'transport',
            'udp_encap': field(body, r'\.options\.udp_encap = (\d)') == '1',
            'direction_in_source': 'egress' if egress else 'ingress',
            'outer_packet_hex': wire.hex(),
            'outer_packet_layers': ('IPv6(40)' if ipv6 else 'IPv4(%d)' % ip_header) + ' + ESP',
            'inner_packet_hex': clear.hex(),
        }
        assert not v['esn'] and not v['udp_encap'], name
        plain = open_esp(v, esp)
        payload, pad_length, next_header = trailer(plain)
        v.update(next_header=next_header, pad_length=pad_length, payload_without_trailer_hex=payload.hex())
        # DPDK's plaintext is the inner packet; for the ingress vector it is published with its
        # ESP trailer still on (what the cipher output), so compare with that.
        same = payload == clear or (not egress and plain == clear)
        v['verified'] = {'status': 'ok', 'detail': 'python3-cryptography %s: ICV %s, decrypted, padding checked; '
                         'payload is the published inner packet: %s' % (
                             cryptography.__version__, 'verified' if icv_len else 'none (no integrity)', same)}
        assert same, name
        vectors.append(v)
    return {
        'title': 'DPDK IPsec test vectors: the complete ESP packets',
        'source': {
            'project': 'DPDK (Data Plane Development Kit)',
            'repository': 'https://github.com/DPDK/dpdk',
            'file': 'app/test/test_cryptodev_security_ipsec_test_vectors.h',
            'commit': commit,
            'licence': 'BSD-3-Clause (SPDX header of the file: Copyright(c) 2021 Marvell)',
            'note': 'values only; the AH vectors of the file (pkt_ah_*) are left out: they are not ESP',
        },
        'generated_by': 'make_published_vectors.py beside this file (every packet opened with '
                        'python3-cryptography before it was written)',
        'conventions': CONVENTIONS,
        'vectors': vectors,
    }


def length(body, name):
    """The .len of '.NAME = { .data = {...}, .len = N }'."""
    m = re.search(r'(?m)^\t\.' + name + r' = \{\s*\.data = \{[^}]*\},\s*\.len = (\d+)', body)
    return int(m.group(1))


# ---------------------------------------------------------------- the draft

def draft(path):
    vectors = []
    text = '\n'.join(l for l in open(path).read().splitlines() if not l.startswith('#')).strip()
    for n, block in enumerate(text.split('\n\n'), 1):
        f = {}
        for line in block.splitlines():
            k, _, val = line.partition('=')
            f[k.strip()] = val.strip()
        hexes = {k: bytes.fromhex(f[k].replace(' ', '')) for k in ('key', 'spi', 'seq', 'nonce', 'plaintext', 'packet')}
        gmac = f['algorithm'] == 'AES-GMAC-ESP'
        seq = hexes['seq']
        esn = len(seq) == 8
        packet = hexes['packet']
        v = {
            'name': 'mcgrew-gcm-test-%d' % n,
            'test_case': n,
            'cipher': 'aes-gmac' if gmac else 'aes-gcm',
            'key_hex': hexes['key'].hex(),
            'key_bits': len(hexes['key']) * 8,
            'salt_hex': hexes['nonce'][:4].hex(),
            'auth': None,
            'auth_key_hex': None,
            'icv_len': 16,
            'spi': int.from_bytes(hexes['spi'], 'big'),
            'seq': int.from_bytes(seq[-4:], 'big'),
            'esn': esn,
            'seq64': int.from_bytes(seq, 'big') if esn else None,
            'esp_packet_hex': packet.hex(),
            'plaintext_hex': hexes['plaintext'].hex(),
        }
        assert packet[:4] == hexes['spi'] and packet[4:8] == seq[-4:] and packet[8:16] == hexes['nonce'][4:], n
        plain = open_esp(v, packet)
        assert plain == hexes['plaintext'], n
        payload, pad_length, next_header = trailer(plain)
        v.update(next_header=next_header, pad_length=pad_length, payload_without_trailer_hex=payload.hex())
        v['mode'] = 'tunnel' if next_header in (4, 41) else 'transport'
        v['verified'] = {'status': 'ok', 'detail': 'python3-cryptography %s: ICV verified, decrypted to the published '
                         'plaintext, padding checked' % cryptography.__version__}
        vectors.append(v)
    return {
        'title': 'draft-mcgrew-gcm-test-01: the complete ESP packets of its test cases',
        'source': {
            'document': 'D. McGrew, "Test Cases for the use of Galois/Counter Mode (GCM) and Galois Message '
                        'Authentication Code (GMAC) in IPsec ESP", draft-mcgrew-gcm-test-01, March 2009, section 4',
            'url': 'https://datatracker.ietf.org/doc/html/draft-mcgrew-gcm-test-01',
            'licence': 'IETF Trust Legal Provisions (BCP 78)',
            'note': 'test_case counts the cases in the order section 4 gives them (the draft does not number '
                    'them). The draft gives the ESP packet alone (SPI to ICV), no IP header. Its plaintexts end '
                    'in next header 1 even where the payload is an IPv4 packet, so each reads as transport-mode '
                    'ICMP; mode is what the next header says.',
        },
        'generated_by': 'make_published_vectors.py beside this file (every packet opened with '
                        'python3-cryptography before it was written)',
        'conventions': CONVENTIONS,
        'vectors': vectors,
    }


CONVENTIONS = {
    'cipher': 'aes-gcm | aes-gmac | aes-ccm | aes-cbc | aes-ctr | 3des-cbc | des-cbc | null',
    'key_hex': 'the cipher key WITHOUT salt or nonce; key_bits its length',
    'salt_hex': 'the salt (GCM, GMAC: 4 octets; CCM: 3) or the RFC 3686 nonce (AES-CTR: 4), which follows the '
                'key in ip xfrm and Wireshark keys; null for none',
    'auth': 'separate integrity: hmac-sha256 | hmac-sha384 | hmac-sha512 | hmac-md5 | aes-xcbc-mac, or null; '
            'icv_len the ICV octets in the packet (for AEAD: the tag)',
    'seq': 'low 32 bits as carried; esn and seq64: the 64-bit number when the SA uses extended sequence numbers',
    'outer_packet_hex': 'DPDK: the IP packet carrying the ESP, as published',
    'esp_packet_hex': 'the draft: the ESP packet from SPI to ICV, as published (no IP header)',
    'payload_without_trailer_hex': 'the decrypted payload without padding, pad length and next header',
}


def main():
    header, commit, cases, out = sys.argv[1:5]
    for name, data in (('dpdk-ipsec-vectors.json', dpdk(header, commit)),
                       ('draft-mcgrew-gcm-test-01.json', draft(cases))):
        with open(out + '/' + name, 'w') as f:
            json.dump(data, f, indent=1)
            f.write('\n')
        print(name, len(data['vectors']), 'vectors')


if __name__ == '__main__':
    main()
