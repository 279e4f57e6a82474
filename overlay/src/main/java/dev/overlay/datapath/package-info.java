/**
 * The datapath: the stages that turn a tenant's Ethernet frame into the wire packets for its
 * peers and a wire packet back into a tenant's frame, composed from the vtep and esp modules and
 * shared by the gateway process and the offline capture tools, so that a capture shows exactly
 * what the gateway sends.
 *
 * <pre>
 * tx: frame -> tenant (port, --tenant or 802.1Q tag) -> pmtu-check (above the tenant MTU: ICMP
 *     error, IPv4 fragments or too-big) -> mss-clamp -> fdb lookup (known unicast: one peer,
 *     else every peer of the tenant in config order) -> vxlan|geneve-encap -> udp
 *     -> [esp-encrypt: transport over the UDP datagram, or tunnel with an inner IP header]
 *     -> [udp 4500] -> outer ip -> outer ethernet
 * rx: outer ethernet/ip/udp parse -> classify (esp-in-udp, esp, vxlan, geneve, other)
 *     -> [esp-decrypt with the SA of the SPI] -> vxlan|geneve-decap -> tenant of the VNI
 *     -> security and SA binding checks -> mss-clamp -> inner frame
 * </pre>
 *
 * <p>Buffers carry {@link dev.overlay.datapath.Buffers#HEADROOM} bytes before the frame so every
 * header is prepended in place. Every packet that does not make it is counted under exactly one
 * drop reason. RFC 7348 (VXLAN), RFC 8926 (Geneve), RFC 4303 (ESP), RFC 3948 (ESP in UDP);
 * path MTU: RFC 4459 (the tunnel's choices), RFC 1191 and RFC 8201 (the errors), RFC 791
 * (fragmentation), RFC 1624 (the checksum update of a clamped MSS).
 */
package dev.overlay.datapath;
