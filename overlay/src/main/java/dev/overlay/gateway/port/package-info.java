/**
 * Tenant ports of the gateway process (CONTRACT.md {@code ports}): {@code tap} (a TAP device made
 * through /dev/net/tun with FFM, IFF_TAP | IFF_NO_PI, IFF_MULTI_QUEUE for {@code queues}),
 * {@code pcap} (an existing interface through libpcap, immediate mode, inbound only so the
 * gateway never re-captures what it injected) and {@code udp} (one Ethernet frame per datagram,
 * as QEMU's {@code -netdev dgram} sends them, taken only from the configured remote). {@link
 * Ports#open} makes them; every frame a port delivers sits behind the datapath's headroom, and
 * frames longer than {@link Ports#MAX_FRAME} are counted, never cut. TAP (RFC 894 Ethernet framing
 * as the kernel's tun driver reads and writes it) and udp receive without a copy; pcap copies once.
 */
package dev.overlay.gateway.port;
