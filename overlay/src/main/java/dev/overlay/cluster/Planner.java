package dev.overlay.cluster;

import dev.overlay.config.ClusterConfig;
import dev.overlay.config.OverlayConfig;
import dev.overlay.config.PeerConfig;
import dev.overlay.config.SaConfig;
import dev.overlay.config.TenantConfig;
import dev.overlay.esp.EspAlgorithm;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The effective config: the file's, plus for every other gateway that shares a tenant with this
 * one a peer, its derived SAs and its place in that tenant's flood list. A pure function of what
 * the agent knows, so the same knowledge always gives an equal config (and a reload that changes
 * nothing touches nothing).
 *
 * <p>Make before break, per peer B and tenant:
 * <ol>
 *   <li>inbound SAs from B are installed as soon as B's record is seen, for every generation this
 *       gateway has installed (KeySchedule: B encrypts to our published generation);</li>
 *   <li>the outbound SA to B, and B's place in the flood list, wait until B acknowledged (its ack
 *       under {@code acks/US/B}) that it installed our inbound SAs for this tenant, for our current
 *       key pair and id; then they follow B's published generation.</li>
 * </ol>
 */
final class Planner {
    /** Another gateway's record as last read, with the revision etcd gave it. */
    record Member(Records.MemberRecord record, long modRevision) {
    }

    /** One derived SA, and what the sequence history keys it by. */
    record Derived(SaConfig config, String fingerprint, String peer, String peerKey, long generation) {
    }

    /**
     * @param installed per peer, what its inbound SAs were derived from: acked once applied
     * @param problems one sentence per member ignored in whole or in part, for the log
     */
    record Plan(OverlayConfig config, List<Derived> derived, Map<String, Installed> installed,
                Set<String> problems, Set<String> ready) {
    }

    /** What an ack to {@code peer} vouches for: its record at {@code revision}, our inbound SAs for {@code tenants}. */
    record Installed(long revision, String peerKey, int peerId, List<String> tenants) {
        String material() {
            return peerKey + " " + peerId + " " + tenants;
        }
    }

    private final Self self;
    private final Map<String, byte[]> secrets = new HashMap<>();
    /** Derived keys by their binding: HKDF once per SA, not once per plan. */
    private final Map<String, byte[]> derivedKeys = new HashMap<>();
    private final Set<String> usedKeys = new HashSet<>();

    Planner(Self self) {
        this.self = self;
    }

    Plan plan(OverlayConfig file, Map<String, Member> members, Map<String, Records.Ack> acks, SequenceHistory history) {
        Set<String> problems = new LinkedHashSet<>();
        Map<String, Member> accepted = accept(file, members, problems);
        Map<String, PeerConfig> peers = new LinkedHashMap<>(file.peers());
        Map<String, List<String>> flood = new LinkedHashMap<>();
        file.tenants().forEach((name, t) -> flood.put(name, new ArrayList<>(t.peers())));
        List<Derived> derived = new ArrayList<>();
        Map<String, Installed> installed = new TreeMap<>();
        Set<String> ready = new HashSet<>();
        Set<String> staticSas = new HashSet<>();
        file.securityAssociations().forEach(sa -> staticSas.add(sa.direction() + ":" + sa.spi()));
        Set<String> usedSecrets = new HashSet<>();

        for (Member m : accepted.values()) {
            Records.MemberRecord b = m.record();
            List<String> shared = new ArrayList<>();
            byte[] secret = null;
            for (TenantConfig t : file.tenants().values()) {
                String key = Records.TenantRecord.key(t);
                Records.TenantRecord bt = b.tenant(key);
                if (bt == null) {
                    continue;
                }
                if (!bt.security().equals(t.security().configName())) {
                    problems.add("member " + b.name() + " carries " + key + " with security " + bt.security()
                            + ", here it is " + t.security().configName());
                    continue;
                }
                if (secret == null && t.security() == TenantConfig.Security.ESP) {
                    secret = secrets.computeIfAbsent(b.publicKey(), k -> KeySchedule.sharedSecret(self.privateKey,
                            b.publicKeyBytes()));
                    usedSecrets.add(b.publicKey());
                }
                shared.add(key);
                boolean isReady = ready(b, key, acks.get(b.name()));
                if (t.security() == TenantConfig.Security.ESP) {
                    for (long g : self.installedGenerations()) {
                        derive(derived, staticSas, problems, history, secret, b, t, SaConfig.Direction.IN,
                                KeySchedule.spi(self.id, b.id(), self.slots.get(key), g), g, self.algorithm);
                    }
                    if (isReady) {
                        derive(derived, staticSas, problems, history, secret, b, t, SaConfig.Direction.OUT,
                                KeySchedule.spi(b.id(), self.id, bt.slot(), b.generation()), b.generation(),
                                algorithm(b.algorithm()));
                    }
                }
                if (isReady) {
                    flood.get(t.name()).add(b.name());
                    ready.add(b.name() + "/" + t.name());
                }
            }
            if (!shared.isEmpty()) {
                peers.put(b.name(), new PeerConfig(b.name(), InetAddress.ofLiteral(b.address()), Optional.empty()));
                installed.put(b.name(), new Installed(m.modRevision(), Records.publicKeyId(b.publicKey()), b.id(),
                        List.copyOf(shared)));
            }
        }
        secrets.keySet().retainAll(usedSecrets);
        derivedKeys.keySet().retainAll(usedKeys);
        usedKeys.clear();

        Map<String, TenantConfig> tenants = new LinkedHashMap<>();
        file.tenants().forEach((name, t) -> tenants.put(name, new TenantConfig(t.name(), t.vni(), t.encapsulation(),
                t.vlan(), t.security(), flood.get(name), t.fdb(), t.geneveOptions(), t.ports())));
        List<SaConfig> sas = new ArrayList<>(file.securityAssociations());
        derived.sort(Comparator.comparing((Derived d) -> d.config().direction()).thenComparingLong(d -> d.config().spi()));
        derived.forEach(d -> sas.add(d.config()));
        OverlayConfig config = new OverlayConfig(file.source(), file.gateway(), peers, tenants, sas, file.locations());
        return new Plan(config, derived, installed, problems, ready);
    }

    /** The members that may be peers: valid, not us, not clashing with the file or each other. */
    private Map<String, Member> accept(OverlayConfig file, Map<String, Member> members, Set<String> problems) {
        Map<String, Member> out = new TreeMap<>();
        Set<InetAddress> addresses = new HashSet<>();
        file.peers().values().forEach(p -> addresses.add(p.address()));
        InetAddress own = file.gateway().address();
        addresses.add(own);
        Set<Integer> ids = new HashSet<>();
        ids.add(self.id);
        for (Member m : new TreeMap<>(members).values()) {
            Records.MemberRecord b = m.record();
            if (b.name().equals(self.name)) {
                continue;
            }
            String why = null;
            InetAddress address = null;
            try {
                address = InetAddress.ofLiteral(b.address());
            } catch (IllegalArgumentException e) {
                why = "its address " + b.address() + " is not an IP address";
            }
            if (why != null) {
                // reported below
            } else if (file.peers().containsKey(b.name())) {
                why = "the config file has a peer of that name, which wins";
            } else if ((address instanceof Inet6Address) != (own instanceof Inet6Address)) {
                why = "its address " + b.address() + " is not of this gateway's family";
            } else if (!addresses.add(address)) {
                why = "its address " + b.address() + " is this gateway's, a configured peer's or another member's";
            } else if (!ids.add(b.id())) {
                why = "its id " + b.id() + " is taken by this gateway or another member";
            } else if (!b.pskId().equals(self.pskId)) {
                why = "its cluster PSK differs from this gateway's (psk id " + b.pskId() + ", here " + self.pskId + ")";
            } else if (algorithmOrNull(b.algorithm()) == null) {
                why = "its algorithm " + b.algorithm() + " is not one of " + ClusterConfig.ALGORITHMS;
            } else {
                try {
                    secrets.computeIfAbsent(b.publicKey(), k -> KeySchedule.sharedSecret(self.privateKey,
                            b.publicKeyBytes()));
                } catch (IllegalArgumentException e) {
                    why = "its " + e.getMessage();
                }
            }
            if (why != null) {
                problems.add("member " + b.name() + " ignored: " + why);
                if (address != null) {
                    addresses.remove(address);
                }
                continue;
            }
            out.put(b.name(), m);
        }
        return out;
    }

    /**
     * Whether {@code b} acknowledged our inbound SAs for tenant {@code key}: for this key pair and
     * id (our record since it carries the tenant) and for b's own current key pair.
     */
    private boolean ready(Records.MemberRecord b, String key, Records.Ack ack) {
        Long since = self.since.get(key);
        return ack != null && since != null && ack.senderKey().equals(self.publicKeyId())
                && ack.receiverKey().equals(Records.publicKeyId(b.publicKey())) && ack.revision() >= since
                && b.tenant(key) != null;
    }

    private void derive(List<Derived> out, Set<String> staticSas, Set<String> problems, SequenceHistory history,
                        byte[] secret, Records.MemberRecord b, TenantConfig t, SaConfig.Direction direction, long spi,
                        long generation, EspAlgorithm algorithm) {
        if (staticSas.contains(direction + ":" + spi)) {
            problems.add("the config file's " + direction.configName() + " SA " + String.format("0x%08x", spi)
                    + " takes the SPI of the derived SA for member " + b.name() + " and tenant " + t.name());
            return;
        }
        boolean outbound = direction == SaConfig.Direction.OUT;
        byte[] sender = outbound ? self.publicKey : b.publicKeyBytes();
        byte[] receiver = outbound ? b.publicKeyBytes() : self.publicKey;
        boolean geneve = t.encapsulation() == TenantConfig.Encapsulation.GENEVE;
        String cacheKey = HexFormat.of().formatHex(sender) + HexFormat.of().formatHex(receiver) + geneve + t.vni()
                + "/" + generation + "/" + algorithm;
        usedKeys.add(cacheKey);
        byte[] key = derivedKeys.computeIfAbsent(cacheKey, k -> KeySchedule.saKey(secret, self.psk,
                new KeySchedule.Binding(self.prefix, sender, receiver, geneve, t.vni(), generation, algorithm)));
        String fingerprint = SequenceHistory.fingerprint(outbound, key);
        SaConfig sa = new SaConfig(spi, direction, b.name(), List.of(t.name()), algorithm, 16, key, null, null,
                SaConfig.Mode.TRANSPORT, true, history.initialSequence(fingerprint),
                outbound ? 0 : SaConfig.DEFAULT_REPLAY_WINDOW, SaConfig.Lifetime.UNLIMITED);
        out.add(new Derived(sa, fingerprint, b.name(), b.publicKey(), generation));
    }

    static EspAlgorithm algorithm(String name) {
        EspAlgorithm a = algorithmOrNull(name);
        if (a == null) {
            throw new IllegalArgumentException("algorithm: " + name);
        }
        return a;
    }

    private static EspAlgorithm algorithmOrNull(String name) {
        for (EspAlgorithm a : ClusterConfig.ALGORITHMS) {
            if (a.configName().equals(name)) {
                return a;
            }
        }
        return null;
    }
}
