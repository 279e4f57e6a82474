package dev.overlay.cluster;

import dev.overlay.config.ClusterConfig;
import dev.overlay.config.OverlayConfig;
import dev.overlay.config.TenantConfig;
import dev.overlay.esp.EspAlgorithm;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * This gateway as the cluster knows it: its identity (name, id, the X25519 key pair made for
 * this process), the tenants it publishes with their slots, and its inbound generations. Owned
 * and changed by the agent's thread only.
 *
 * <p>Generations: {@code current} is published and accepted; {@code pending} is installed but not
 * yet published (a rollover in progress: make before break); {@code previous} was current until
 * the last rollover and stays installed for the grace period and then until its inbound SAs
 * stop receiving (every sender switched), so senders that have not switched yet lose nothing;
 * a sender that never switches is cut off at a deadline. At most two are ever installed, so they differ in SPI parity.
 */
final class Self {
    final String name;
    final String address;
    final byte[] publicKey;
    final String publicKeyHex;
    final PrivateKey privateKey;
    final byte[] psk;
    final String pskId;
    final EspAlgorithm algorithm;
    final String prefix;
    /** 0 until an id is claimed. */
    int id;
    long current = 1;
    long pending;
    long previous;
    /** The earliest time {@code previous} may go, and the latest (even if a sender still uses it). */
    long previousUntilNanos;
    long previousDeadlineNanos;
    /** Packets its inbound SAs had opened at the last look: it goes once they stop moving. */
    long previousPackets = -1;
    /** Tenant key (encapsulation-vni) to slot: stable for the life of the process. */
    final Map<String, Integer> slots = new HashMap<>();
    /** Tenant key to the revision of our own record that first published it with this key pair and id. */
    final Map<String, Long> since = new HashMap<>();

    Self(OverlayConfig config, KeyPair keys) {
        ClusterConfig c = config.gateway().cluster().orElseThrow();
        this.name = config.gateway().name();
        this.address = config.gateway().address().getHostAddress();
        this.publicKey = KeySchedule.publicBytes(keys.getPublic());
        this.publicKeyHex = HexFormat.of().formatHex(publicKey);
        this.privateKey = keys.getPrivate();
        this.psk = c.psk();
        this.pskId = KeySchedule.pskId(psk);
        this.algorithm = c.algorithm();
        this.prefix = c.prefix();
    }

    String publicKeyId() {
        return Records.publicKeyId(publicKeyHex);
    }

    /** The generations whose inbound SAs are installed now, oldest first. */
    List<Long> installedGenerations() {
        List<Long> g = new ArrayList<>(3);
        if (previous != 0) {
            g.add(previous);
        }
        g.add(current);
        if (pending != 0) {
            g.add(pending);
        }
        return g;
    }

    /** Gives each of the config's tenants a slot, keeping those it already has. Throws past 512 tenants. */
    void assignSlots(OverlayConfig config) {
        for (TenantConfig t : config.tenants().values()) {
            String key = Records.TenantRecord.key(t);
            if (!slots.containsKey(key)) {
                int slot = 0;
                while (slots.containsValue(slot)) {
                    slot++;
                }
                if (slot > KeySchedule.MAX_SLOT) {
                    throw new IllegalArgumentException("cluster mode carries at most 512 tenants per gateway");
                }
                slots.put(key, slot);
            }
        }
    }

    /** The record to publish for {@code config}'s tenants at {@code generation}. */
    Records.MemberRecord record(OverlayConfig config, long generation) {
        List<Records.TenantRecord> tenants = new ArrayList<>();
        for (TenantConfig t : config.tenants().values()) {
            String key = Records.TenantRecord.key(t);
            tenants.add(new Records.TenantRecord(t.encapsulation().configName(), t.vni(), t.security().configName(),
                    slots.get(key)));
        }
        return new Records.MemberRecord(name, address, id, publicKeyHex, pskId, algorithm.configName(), generation,
                tenants);
    }
}
