/**
 * Cluster mode ({@code gateway.cluster}): many gateways form one overlay through etcd, as
 * Flannel and Calico keep their state there and BGP EVPN (RFC 7432) spreads MACs between VTEPs.
 * Each gateway registers itself under a lease (membership), publishes the MACs learned on its
 * own ports per VNI (EVPN type-2 routes in spirit), and publishes an X25519 public key (RFC 7748)
 * from which each pair of gateways derives its SAs per tenant with HKDF (RFC 5869); raw keys
 * never enter etcd. An agent watches etcd and hands the effective config (the file, plus peers,
 * SAs and remote FDB entries from etcd) to the gateway's reload path; the datapath never waits
 * on etcd.
 */
package dev.overlay.cluster;
