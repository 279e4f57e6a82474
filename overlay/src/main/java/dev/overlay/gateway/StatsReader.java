package dev.overlay.gateway;

import dev.overlay.config.SaConfig;
import dev.overlay.datapath.DropCounts;
import dev.overlay.datapath.SaTable;
import dev.overlay.datapath.Tenant;
import dev.overlay.esp.EspDrop;
import dev.overlay.esp.OutboundSaState;
import dev.overlay.esp.SaCounters;
import dev.overlay.gateway.port.PortCounters;
import dev.overlay.gateway.port.TenantPort;
import dev.overlay.steering.SteeringDrop;
import dev.overlay.steering.WorkerPool;
import dev.overlay.steering.WorkerStats;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Gathers a {@link GatewayStats} from the counters where the datapath keeps them (no copy per packet). */
final class StatsReader {
    private StatsReader() {}

    static GatewayStats read(Pipeline pipeline, WorkerPool pool, Underlay underlay, Map<String, TenantPort> ports) {
        View v = pipeline.view();
        Map<String, GatewayStats.TenantStats> tenants = new LinkedHashMap<>();
        Map<String, String> tenantOfPort = new LinkedHashMap<>();
        if (v != null) {
            for (Tenant t : v.topology.tenants().values()) {
                TrafficCounters c = pipeline.traffic(t.name());
                tenants.put(t.name(), new GatewayStats.TenantStats(t.vni(), c.txFrames.sum(), c.txBytes.sum(),
                        c.rxFrames.sum(), c.rxBytes.sum(), t.fdb().size(), pipeline.pathMtu(t.name()).snapshot(),
                        t.fdb().remoteCount(), c.txFlooded.sum(), c.txUnknownUnicast.sum()));
                for (TenantPort p : v.portsOf(t)) {
                    tenantOfPort.put(p.name(), t.name());
                }
            }
        }
        List<GatewayStats.SaStats> sas = new ArrayList<>();
        if (v != null) {
            // Both lists are in config order; outboundStates holds the out SAs alone.
            List<OutboundSaState> outs = v.sas.outboundStates();
            int next = 0;
            for (SaTable.Inbound in : v.sas.inbounds()) {
                SaConfig c = in.config();
                SaCounters counters = c.direction() == SaConfig.Direction.OUT ? outs.get(next++).counters()
                        : in.state().counters();
                Map<String, Long> drops = new TreeMap<>();
                for (EspDrop r : EspDrop.values()) {
                    long n = counters.drops(r);
                    if (n != 0) {
                        drops.put(r.label(), n);
                    }
                }
                sas.add(new GatewayStats.SaStats(c.spiHex(), c.direction().configName(), c.peer(),
                        counters.packets(), counters.bytes(), drops));
            }
        }
        Map<String, Map<String, Long>> drops = new LinkedHashMap<>();
        Map<String, Long> io = new TreeMap<>();
        pipeline.shared.addTo(io);
        drops.put("gateway", io);
        DropCounts worker = new DropCounts();
        for (DropCounts d : pipeline.drops) {
            worker.addAll(d);
        }
        drops.put("datapath", new TreeMap<>(worker.byLabel()));
        List<WorkerStats> workers = pool.stats();
        Map<String, Long> steering = new TreeMap<>();
        for (WorkerStats w : workers) {
            for (SteeringDrop r : SteeringDrop.values()) {
                if (w.drops(r) != 0) {
                    steering.merge(r.counterName(), w.drops(r), Long::sum);
                }
            }
        }
        drops.put("steering", steering);
        Map<String, GatewayStats.PortStats> portStats = new LinkedHashMap<>();
        ports.forEach((name, p) -> {
            p.sampleKernelDrops();
            PortCounters c = p.counters();
            portStats.put(name, new GatewayStats.PortStats(tenantOfPort.getOrDefault(name, ""), c.rxFrames.sum(),
                    c.rxBytes.sum(), c.txFrames.sum(), c.txBytes.sum(), c.txDropped.sum(), c.rxErrors.sum(), c.rxGsoFrames.sum(),
                    c.rxGsoSegments.sum(), c.txGsoFrames.sum(), c.txGsoSegments.sum(), c.rxKernelDrops.sum(),
                    p.queuesOnWorkers(), p.readerMoves()));
        });
        List<GatewayStats.WorkerSocketStats> sockets = new ArrayList<>();
        if (underlay.workerSockets()) {
            for (int i = 0; i < pool.workers(); i++) {
                int at = Pipeline.OWN_SOCKET_STRIDE * i;
                sockets.add(new GatewayStats.WorkerSocketStats(i, pipeline.ownSocket.getAcquire(at),
                        pipeline.ownSocket.getAcquire(at + 1)));
            }
        }
        return new GatewayStats(tenants, sas, drops, workers, portStats, underlay.rxPackets.sum(),
                underlay.txPackets.sum(), underlay.kernelDrops(), sockets, underlay.gsoSends.sum(),
                underlay.gsoDatagrams.sum());
    }
}
