package dev.overlay.config;

import dev.overlay.esp.EspAlgorithm;
import dev.overlay.esp.IntegrityAlgorithm;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * Reads {@code security-associations}: each SA's keys and key material, SPI uniqueness, its
 * references to peers and tenants, and whether every ESP tenant can reach every peer. What the
 * algorithms need (ICV length, keys) is read by {@link SaKeys}.
 */
final class SaParser {

    /** What coverage needs of an SA, kept even when its keys are wrong so one mistake is one error. */
    private record Draft(SaConfig.Direction direction, String peer, List<String> tenants) {
    }

    private static final BigInteger MAX_32 = BigInteger.valueOf(0xFFFF_FFFFL);
    private static final BigInteger MAX_64 = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    private final Problems problems;
    private final SaKeys keys;
    private final Set<String> peerNames;
    private final Map<String, TenantParser.Facts> tenants;
    private final List<SaConfig> sas = new ArrayList<>();
    private final List<Draft> drafts = new ArrayList<>();
    private final Map<SaConfig.Direction, Map<Long, Integer>> spis = new EnumMap<>(SaConfig.Direction.class);

    SaParser(Problems problems, Path configDir, Set<String> peerNames, Map<String, TenantParser.Facts> tenants) {
        this.problems = problems;
        this.keys = new SaKeys(problems, configDir);
        this.peerNames = peerNames;
        this.tenants = tenants;
    }

    List<SaConfig> sas() {
        return sas;
    }

    void parse(List<Node> items) {
        if (items == null) {
            return;
        }
        for (int i = 0; i < items.size(); i++) {
            int before = problems.errorCount();
            YamlMap m = YamlMap.of(items.get(i), "security-associations[" + i + "]", problems);
            SaConfig sa = m == null ? null : sa(i, m, before);
            if (sa != null) {
                sas.add(sa);
            }
        }
    }

    private SaConfig sa(int index, YamlMap m, int errorsBefore) {
        m.allow("spi", "direction", "peer", "tenants", "algorithm", "icv-length", "key", "key-file", "integrity",
                "integrity-key", "integrity-key-file", "mode", "esn", "initial-sequence", "replay-window", "lifetime");
        Long spi = spi(index, m);
        SaConfig.Direction direction = m.choice("direction", SaConfig.Direction.values(), null, true);
        String peer = m.text("peer", true);
        if (peer != null && !peerNames.contains(peer)) {
            problems.error(m.child("peer"), "peer '" + peer + "' is not defined in peers"
                    + DidYouMean.suggest(peer, peerNames));
        }
        List<String> saTenants = tenants(m, peer);
        drafts.add(new Draft(direction, peer, saTenants));
        if (spi != null && direction != null) {
            Integer other = spis.computeIfAbsent(direction, d -> new HashMap<>()).putIfAbsent(spi, index);
            if (other != null) {
                problems.error(m.child("spi"), String.format("spi 0x%08x is also used by "
                        + "security-associations[%d], another %s SA", spi, other, direction.configName()));
            }
        }
        EspAlgorithm algorithm = m.choice("algorithm", EspAlgorithm.values(), null, true);
        IntegrityAlgorithm integrity = m.choice("integrity", IntegrityAlgorithm.values(), null, false);
        readOnly(m, algorithm, integrity);
        Integer icv = keys.icvLength(m, algorithm, integrity);
        byte[] key = keys.key(m, algorithm);
        byte[] integrityKey = keys.integrityKey(m, algorithm, integrity);
        SaConfig.Mode mode = m.choice("mode", SaConfig.Mode.values(), SaConfig.Mode.TRANSPORT, false);
        Boolean esn = m.bool("esn", false);
        Long initialSequence = initialSequence(m, direction, esn);
        Long window = null;
        if (direction == SaConfig.Direction.OUT && m.has("replay-window")) {
            problems.error(m.child("replay-window"), "replay-window applies to inbound SAs only");
        } else {
            window = m.integer("replay-window", 0, SaConfig.MAX_REPLAY_WINDOW,
                    direction == SaConfig.Direction.OUT ? 0L : (long) SaConfig.DEFAULT_REPLAY_WINDOW, false);
        }
        SaConfig.Lifetime lifetime = lifetime(m);
        if (algorithm == EspAlgorithm.NULL && integrity == null) {
            problems.warning(m.child("algorithm"), "null without integrity: ESP with no protection at all");
        }
        if (spi == null || direction == null || peer == null || saTenants == null || algorithm == null
                || icv == null || key == null || (integrity == null) != (integrityKey == null) || mode == null
                || esn == null || initialSequence == null || window == null || lifetime == null) {
            return null;
        }
        if (problems.errorCount() != errorsBefore) {
            return null;
        }
        try {
            return new SaConfig(spi, direction, peer, saTenants, algorithm, icv, key, integrity, integrityKey, mode,
                    esn, initialSequence, window.intValue(), lifetime);
        } catch (IllegalArgumentException e) {
            // The checks above should have caught it; report rather than crash a reload.
            problems.error(m.path(), e.getMessage());
            return null;
        }
    }

    /**
     * RFC 4303 section 2.1: 0 "MUST NOT be sent on the wire" (it is for local use), so no SA can
     * have it; 1..255 are reserved for IANA, yet OpenDataPlane, DPDK and others use them, and
     * Linux, strongSwan and Wireshark accept them: a warning, so that SAs someone else chose
     * still open (liberal on read) while our own choices are pointed at 256 and above.
     */
    private Long spi(int index, YamlMap m) {
        BigInteger spi = m.bigInteger("spi", true);
        if (spi == null) {
            return null;
        }
        if (spi.signum() == 0) {
            problems.error(m.child("spi"), "spi 0 is reserved: " + SaConfig.SPI_ZERO_REASON);
            return null;
        }
        if (spi.signum() < 0 || spi.compareTo(MAX_32) > 0) {
            problems.error(m.child("spi"), "spi " + spi + " does not fit in 32 bits (expected 1..0xffffffff)");
            return null;
        }
        if (spi.longValue() < SaConfig.UNRESERVED_SPI) {
            problems.warning(m.child("spi"), SaConfig.reservedSpiWarning(spi.longValue()));
        }
        return spi.longValue();
    }

    /**
     * An algorithm the tools open but the gateway never sends (AES-192, AES-CTR, 3DES, DES, the
     * 96-bit HMACs): an error for run and encode, nothing for the readers. Strict in what we
     * send: the contract's transforms only.
     */
    private void readOnly(YamlMap m, EspAlgorithm algorithm, IntegrityAlgorithm integrity) {
        if (algorithm != null && !algorithm.sendable()) {
            problems.gap(m.child("algorithm"), algorithm + " is opened by decode, decrypt, inspect and wireshark-keys "
                    + "but never sent: run and encode send " + names(EspAlgorithm.values()), Purpose.SENDING,
                    "a sendable algorithm for " + m.path() + " (not " + algorithm + ")");
        }
        if (integrity != null && !integrity.sendable()) {
            problems.gap(m.child("integrity"), integrity + " is opened by decode, decrypt, inspect and wireshark-keys "
                    + "but never sent: run and encode send " + names(IntegrityAlgorithm.values()), Purpose.SENDING,
                    "a sendable integrity algorithm for " + m.path() + " (not " + integrity + ")");
        }
    }

    private static String names(Enum<?>[] values) {
        List<String> names = new ArrayList<>();
        for (Enum<?> e : values) {
            boolean sendable = e instanceof EspAlgorithm a ? a.sendable() : ((IntegrityAlgorithm) e).sendable();
            if (sendable) {
                names.add(e.toString());
            }
        }
        return String.join(", ", names);
    }

    private List<String> tenants(YamlMap m, String peer) {
        List<String> names = m.names("tenants", true);
        if (names == null) {
            return null;
        }
        if (names.isEmpty()) {
            problems.error(m.child("tenants"), "an SA must carry at least one tenant");
        }
        for (int i = 0; i < names.size(); i++) {
            String t = names.get(i);
            String path = m.child("tenants") + "[" + i + "]";
            TenantParser.Facts facts = tenants.get(t);
            if (facts == null) {
                problems.error(path, "tenant '" + t + "' is not defined in tenants"
                        + DidYouMean.suggest(t, tenants.keySet()));
            } else if (facts.security() == TenantConfig.Security.NONE) {
                problems.error(path, "tenant " + t + " has security: none; an SA for a cleartext tenant "
                        + "is a misconfiguration (remove the SA or the security: none)");
            } else if (peer != null && facts.peers() != null && peerNames.contains(peer)
                    && !facts.peers().contains(peer)) {
                problems.error(path, "tenant " + t + " does not list peer " + peer + " in its peers "
                        + facts.peers());
            }
        }
        return names;
    }

    private Long initialSequence(YamlMap m, SaConfig.Direction direction, Boolean esn) {
        BigInteger seq = m.bigInteger("initial-sequence", false);
        if (seq == null) {
            return m.has("initial-sequence") ? null : 0L;
        }
        BigInteger max = Boolean.TRUE.equals(esn) ? MAX_64 : MAX_32;
        if (direction == SaConfig.Direction.OUT) {
            max = max.subtract(BigInteger.ONE);
        }
        if (seq.signum() < 0 || seq.compareTo(max) > 0) {
            problems.error(m.child("initial-sequence"), "initial-sequence " + seq + " is out of range (expected 0.."
                    + max + (Boolean.TRUE.equals(esn) ? " with esn" : " without esn")
                    + (direction == SaConfig.Direction.OUT ? ", leaving room for the first packet's + 1" : "") + ")");
            return null;
        }
        return seq.longValue();
    }

    private SaConfig.Lifetime lifetime(YamlMap m) {
        if (!m.has("lifetime")) {
            return SaConfig.Lifetime.UNLIMITED;
        }
        YamlMap l = m.map("lifetime", false);
        if (l == null) {
            return null;
        }
        l.allow("packets", "bytes", "seconds");
        Long packets = l.integer("packets", 0, Long.MAX_VALUE, 0L, false);
        Long bytes = l.integer("bytes", 0, Long.MAX_VALUE, 0L, false);
        Long seconds = l.integer("seconds", 0, Long.MAX_VALUE, 0L, false);
        return packets == null || bytes == null || seconds == null ? null
                : new SaConfig.Lifetime(packets, bytes, seconds);
    }

    /**
     * Each ESP tenant needs an out SA to each of its peers, else its traffic to that peer could
     * not be sent: an error for the uses that send ({@link Purpose#SENDING}) and nothing for those
     * that only read, which need only the SAs that open what they read. A missing in SA only means
     * the peer's traffic would be dropped, which a one-way test set-up may want (a warning).
     */
    void checkCoverage() {
        for (Map.Entry<String, TenantParser.Facts> e : tenants.entrySet()) {
            TenantParser.Facts facts = e.getValue();
            if (facts.security() != TenantConfig.Security.ESP || facts.peers() == null) {
                continue;
            }
            String tenant = e.getKey();
            for (int i = 0; i < facts.peers().size(); i++) {
                String peer = facts.peers().get(i);
                if (!peerNames.contains(peer)) {
                    continue;
                }
                String path = "tenants." + tenant + ".peers[" + i + "]";
                if (!covered(tenant, peer, SaConfig.Direction.OUT)) {
                    problems.gap(path, "no out SA carries tenant " + tenant + " to peer " + peer
                            + ", so its traffic to " + peer + " could not be sent (add one, or security: none)",
                            Purpose.SENDING, "an out SA for tenant " + tenant + " to peer " + peer);
                }
                if (!covered(tenant, peer, SaConfig.Direction.IN)) {
                    problems.warning(path, "no in SA carries tenant " + tenant + " from peer " + peer
                            + ": its traffic from " + peer + " will be dropped", EnumSet.of(Purpose.RUN));
                }
            }
        }
    }

    private boolean covered(String tenant, String peer, SaConfig.Direction direction) {
        for (Draft d : drafts) {
            if (d.direction() == direction && peer.equals(d.peer()) && d.tenants() != null
                    && d.tenants().contains(tenant)) {
                return true;
            }
        }
        return false;
    }
}
