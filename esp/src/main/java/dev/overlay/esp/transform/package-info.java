/**
 * The ESP transforms (cryptography only, one SA each, thread-confined): AES-GCM (RFC 4106),
 * AES-CCM (RFC 4309, RFC 3610), ChaCha20-Poly1305 (RFC 7634, RFC 8439), AES-GMAC (RFC 4543),
 * AES-CBC (RFC 3602) and NULL (RFC 2410) with HMAC-SHA-256/384/512 (RFC 4868), on the JDK's
 * intrinsified ciphers and Bouncy Castle where the JDK lacks a mode or tag length; and, opened
 * only, AES-192 in each AES mode, AES-CTR (RFC 3686), 3DES-CBC (RFC 2451), DES-CBC (RFC 2405) and
 * the 96-bit HMACs (RFC 2403, RFC 2404, draft-ietf-ipsec-ciph-sha-256-00) through the JCA. Public only
 * because {@code dev.overlay.esp} and its benchmarks use it; other modules use {@code EspEncrypt}
 * and {@code EspDecrypt}.
 */
package dev.overlay.esp.transform;
