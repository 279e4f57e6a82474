/**
 * Spreading the datapath over cores when ESP hides the ports. Received ESP-in-UDP from one peer
 * is a single outer 4-tuple, so the NIC's RSS and the kernel's RPS put it all on one core; as
 * "Securing Traffic Tunnelled over TCP or UDP" (Netdev 1.1) proposes, we hash on the SPI instead
 * ({@link dev.overlay.steering.SpiDispatcher}, software RPS), which also gives each SA one owner
 * worker so its replay window and sequence numbers need no lock, and then, for {@code rfs}, steer
 * each inner flow to the worker where its consumer runs without reordering it
 * ({@link dev.overlay.steering.RfsSteering}, after Linux RFS:
 * Documentation/networking/scaling.rst and net/core/dev.c {@code get_rps_cpu}). Several outbound
 * SAs to one peer, each inner flow pinned to one by {@link dev.overlay.steering.SteeringHash#pick},
 * spread one tunnel over the receiver's workers (per-resource SAs, RFC 9611; SPI rules, RFC 4303
 * section 2.1). Work moves between threads through bounded lock-free queues
 * ({@link dev.overlay.steering.WorkerPool}, {@link dev.overlay.steering.Handoff}) that drop and
 * count rather than block or grow; a producer that receives in bursts wakes each worker once per
 * burst ({@link dev.overlay.steering.Burst}, as RPS sends one IPI per CPU per NAPI poll).
 */
package dev.overlay.steering;
