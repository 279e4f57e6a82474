/**
 * IPsec ESP for the overlay's outer datagrams (RFC 4303): {@link dev.overlay.esp.SecurityAssociation}
 * records and their thread-confined runtime ({@link dev.overlay.esp.InboundSaState},
 * {@link dev.overlay.esp.OutboundSaState}) in a {@link dev.overlay.esp.SaDatabase} (RFC 4301 4.4.2),
 * the in-place packet stages {@link dev.overlay.esp.EspEncrypt} and {@link dev.overlay.esp.EspDecrypt}
 * on Netty buffers, 32-bit and extended sequence numbers (RFC 4303 2.2.1, Appendix A), the
 * anti-replay window (RFC 4303 3.4.3, RFC 6479), hard lifetimes (RFC 4301 4.4.2.1) and the
 * counted drop reasons of {@link dev.overlay.esp.EspDrop}. The cryptography is in
 * {@code dev.overlay.esp.transform}; IP headers, UDP encapsulation (RFC 3948) and tenants are the caller's.
 */
package dev.overlay.esp;
