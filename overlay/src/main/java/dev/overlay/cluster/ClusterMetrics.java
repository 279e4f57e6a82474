package dev.overlay.cluster;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.function.Supplier;

/**
 * Cluster mode's metrics on the gateway's endpoint, from the agent's last status (refreshed twice
 * a second): whether etcd answers, who is registered, whom this gateway sends to, its inbound
 * generation, and how often it rolled over, reloaded and had to read etcd again.
 */
final class ClusterMetrics {
    private ClusterMetrics() {
    }

    static void register(PrometheusRegistry r, Supplier<ClusterAgent.Status> status) {
        GaugeWithCallback.builder().name("overlay_cluster_etcd_reachable")
                .help("1 while etcd answers this gateway's agent, 0 while it does not (forwarding goes on)")
                .callback(cb -> {
                    ClusterAgent.Status s = status.get();
                    if (s != null) {
                        cb.call(s.etcdReachable() ? 1 : 0);
                    }
                }).register(r);
        GaugeWithCallback.builder().name("overlay_cluster_members")
                .help("Gateways registered in etcd under this cluster's prefix, this one included")
                .callback(cb -> {
                    ClusterAgent.Status s = status.get();
                    if (s != null) {
                        cb.call(s.members().size());
                    }
                }).register(r);
        GaugeWithCallback.builder().name("overlay_cluster_ready_pairs")
                .help("Peer and tenant pairs this gateway sends to (acknowledged, in the flood list)")
                .callback(cb -> {
                    ClusterAgent.Status s = status.get();
                    if (s != null) {
                        cb.call(s.ready().size());
                    }
                }).register(r);
        GaugeWithCallback.builder().name("overlay_cluster_generation")
                .help("This gateway's current inbound SA generation")
                .callback(cb -> {
                    ClusterAgent.Status s = status.get();
                    if (s != null) {
                        cb.call(s.generation());
                    }
                }).register(r);
        CounterWithCallback.builder().name("overlay_cluster_rollovers_total")
                .help("Rollovers of this gateway's inbound SAs to a new generation")
                .callback(cb -> {
                    ClusterAgent.Status s = status.get();
                    if (s != null) {
                        cb.call(s.rollovers());
                    }
                }).register(r);
        CounterWithCallback.builder().name("overlay_cluster_reloads_total")
                .help("Effective configs the agent handed to the gateway's reload")
                .callback(cb -> {
                    ClusterAgent.Status s = status.get();
                    if (s != null) {
                        cb.call(s.reloads());
                    }
                }).register(r);
        CounterWithCallback.builder().name("overlay_cluster_watch_resyncs_total")
                .help("Full reads of a prefix because etcd had compacted the revision a watch was to resume from")
                .callback(cb -> {
                    ClusterAgent.Status s = status.get();
                    if (s != null) {
                        cb.call(s.watchResyncs());
                    }
                }).register(r);
    }
}
