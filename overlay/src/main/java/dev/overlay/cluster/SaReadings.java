package dev.overlay.cluster;

import dev.overlay.config.SaConfig;
import dev.overlay.datapath.SaTable;
import dev.overlay.esp.OutboundSaState;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the agent reads back from the gateway's running SAs: the sequence numbers of derived SAs
 * a reload is about to remove (for {@link SequenceHistory}), and how many packets a generation's
 * inbound SAs have opened (to tell when every sender has left it). Plain reads of counters the
 * workers write; a value a moment old is all either use needs.
 */
final class SaReadings {
    private SaReadings() {
    }

    /** Notes in {@code history} the last numbers of the derived SAs in {@code before} that {@code after} drops. */
    static void remember(SequenceHistory history, SaTable sas, List<Planner.Derived> before, List<Planner.Derived> after) {
        if (sas == null) {
            return;
        }
        Set<String> keep = new HashSet<>();
        after.forEach(d -> keep.add(d.fingerprint()));
        Map<Long, Long> out = new HashMap<>();
        for (OutboundSaState s : sas.outboundStates()) {
            out.put(s.spi() & 0xFFFF_FFFFL, s.lastSequence());
        }
        Map<Long, Long> in = new HashMap<>();
        for (SaTable.Inbound i : sas.inbounds()) {
            if (i.config().direction() == SaConfig.Direction.IN) {
                in.put(i.config().spi(), i.state().highestSequence());
            }
        }
        for (Planner.Derived d : before) {
            if (!keep.contains(d.fingerprint())) {
                boolean outbound = d.config().direction() == SaConfig.Direction.OUT;
                Long seq = (outbound ? out : in).get(d.config().spi());
                if (seq != null) {
                    history.removed(d.fingerprint(), new SequenceHistory.Entry(seq, d.peer(), d.peerKey(),
                            d.generation(), outbound));
                }
            }
        }
    }

    /** Packets opened so far by the derived inbound SAs of {@code generation}, by peer. */
    static Map<String, Long> inboundPackets(SaTable sas, List<Planner.Derived> derived, long generation) {
        Map<String, Long> out = new TreeMap<>();
        if (sas == null) {
            return out;
        }
        Map<Long, Long> bySpi = new HashMap<>();
        for (SaTable.Inbound i : sas.inbounds()) {
            if (i.config().direction() == SaConfig.Direction.IN) {
                bySpi.put(i.config().spi(), i.state().counters().packets());
            }
        }
        for (Planner.Derived d : derived) {
            if (d.generation() == generation && d.config().direction() == SaConfig.Direction.IN) {
                out.merge(d.peer(), bySpi.getOrDefault(d.config().spi(), 0L), Long::sum);
            }
        }
        return out;
    }
}
