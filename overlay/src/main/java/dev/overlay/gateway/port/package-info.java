/**
 * Tenant ports of the gateway process (CONTRACT.md {@code ports}): {@code tap} (a TAP device made
 * through /dev/net/tun with FFM, IFF_TAP | IFF_NO_PI, IFF_VNET_HDR, IFF_MULTI_QUEUE for
 * {@code queues}), {@code pcap} (an existing interface through an AF_PACKET socket made with FFM,
 * packet(7): PACKET_VNET_HDR, PACKET_AUXDATA, inbound only so the gateway never re-reads what it
 * injected, promiscuous) and {@code udp} (one Ethernet frame per datagram, as QEMU's
 * {@code -netdev dgram} sends them, taken only from the configured remote). {@link Ports#open}
 * makes them; every frame a port delivers sits behind the datapath's headroom, and frames longer
 * than {@link Ports#MAX_FRAME} are counted, never cut. TAP and pcap ports take the kernel's
 * offloaded frames (partial checksums, TCP and UDP super-frames: virtio 1.2 section 5.1.6) and
 * finish them in software ({@link SoftwareOffloads}), and write coalesced TCP trains back
 * ({@link VnetGro}). Libpcap stays for the capture tools ({@link Libpcap}).
 */
package dev.overlay.gateway.port;
