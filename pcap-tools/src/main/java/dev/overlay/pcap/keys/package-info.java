/**
 * Keys where operators already have them, for {@code pcap decrypt/decode/inspect --sa-file}: the
 * output of Linux's {@code ip xfrm state} and {@code ip -s xfrm state} (iproute2's
 * {@code ip/ipxfrm.c} and {@code ip/xfrm_state.c} print it; {@link dev.overlay.pcap.keys.IpXfrmStates}
 * reads it back) and Wireshark's {@code esp_sa} table ({@link dev.overlay.pcap.keys.WiresharkEspSaFile},
 * the record format of its ESP dissector's UAT). Each SA becomes an
 * {@link dev.overlay.datapath.ExternalSa}: it opens ESP, found by SPI and destination address
 * (RFC 4301 section 4.1), and names no tenant. What the files hold that opening does not need
 * (selectors, lifetimes, statistics, replay state, marks) is skipped; an algorithm we do not
 * implement, a malformed line or a key of the wrong length is one sentence with file and line
 * ({@link dev.overlay.pcap.keys.SaFileException}).
 */
package dev.overlay.pcap.keys;
