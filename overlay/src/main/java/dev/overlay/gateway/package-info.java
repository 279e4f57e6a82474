/**
 * The gateway process ({@code overlay run}): the underlay sockets (ESP in UDP on esp-port,
 * RFC 3948; ESP as IP protocol 50 through a raw socket, RFC 4303; cleartext VXLAN, RFC 7348, and
 * Geneve, RFC 8926, on their ports), the tenant ports, the worker pool that runs the datapath's
 * stages with each SA on one owner worker (steered by SPI, after "Securing Traffic Tunnelled over
 * TCP or UDP", Netdev 1.1), FDB learning and ageing, reload on SIGHUP without disturbing what a
 * change does not touch, graceful stop, Prometheus metrics and one-line key=value logs.
 *
 * <pre>
 * rx: socket (event loop) -> classify -> steer (SPI owner | outer 4-tuple) -> [worker] esp-decrypt
 *     -> tenant check -> vxlan|geneve-decap -> fdb learn -> mss-clamp -> [rfs: inner flow to its
 *     worker] -> port
 * tx: port -> tenant -> pmtu-check (too big: ICMP error back out of this port, or IPv4 fragments)
 *     -> mss-clamp -> fdb lookup -> per peer: pick SA by inner flow -> steer to the SA's owner
 *     -> [worker] vxlan|geneve-encap -> esp-encrypt -> socket (flushed per batch; DF or not as
 *     underlay-fragmentation says)
 * </pre>
 */
package dev.overlay.gateway;
