/**
 * The wire formats of the overlay and the per-tenant forwarding state: Ethernet and 802.1Q
 * tags, the outer IPv4 (RFC 791; atomic datagrams, RFC 6864) and IPv6 (RFC 8200; flow label
 * from the inner flow, RFC 6438) headers, UDP (RFC 768; zero checksums per RFC 6935 and
 * RFC 6936) with the Internet checksum (RFC 1071), VXLAN (RFC 7348) and Geneve (RFC 8926)
 * codecs, the inner-flow hash for the outer source port, and the FDB. Encapsulation prepends
 * each header in place into the buffer's headroom; receive parsing fills a reused
 * {@link dev.overlay.vtep.OuterHeaders} with offsets and reports a bad packet as a
 * {@link dev.overlay.vtep.VtepDrop}, never an exception, so the data path allocates nothing.
 */
package dev.overlay.vtep;
