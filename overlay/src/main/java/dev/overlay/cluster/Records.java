package dev.overlay.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.overlay.config.TenantConfig;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The JSON the gateways write into etcd, and the checks every record read from etcd passes
 * before the agent uses it: anyone who can write to etcd can write anything, so a malformed
 * record is ignored and logged, never an exception in the agent.
 */
final class Records {
    private static final ObjectMapper JSON = JsonMapper.builder()
            // Newer gateways may add fields; older ones read what they know.
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,62}");
    private static final Pattern MAC = Pattern.compile("[0-9a-f]{2}(:[0-9a-f]{2}){5}");

    private Records() {
    }

    /** One tenant a gateway carries: identified across the cluster by encapsulation and VNI. */
    record TenantRecord(String encapsulation, int vni, String security, int slot) {
        String key() {
            return key(encapsulation, vni);
        }

        static String key(String encapsulation, int vni) {
            return encapsulation + "-" + vni;
        }

        static String key(TenantConfig t) {
            return key(t.encapsulation().configName(), t.vni());
        }
    }

    /**
     * A gateway as it registers itself.
     *
     * @param address its underlay address, where its ESP (esp-port) and cleartext overlay go
     * @param id 1..2047, its SPI block (KeySchedule)
     * @param publicKey its X25519 public value, 64 hex digits; new at each process start
     * @param pskId the tag of its cluster PSK ({@link KeySchedule#pskId}), "none" without one
     * @param algorithm the AEAD of the SAs towards it: the receiver chooses, as in IKE
     * @param generation the inbound generation it has installed and accepts; senders use it
     */
    record MemberRecord(String name, String address, int id, String publicKey, String pskId, String algorithm,
                        long generation, List<TenantRecord> tenants) {
        byte[] publicKeyBytes() {
            return HexFormat.of().parseHex(publicKey);
        }

        TenantRecord tenant(String key) {
            for (TenantRecord t : tenants) {
                if (t.key().equals(key)) {
                    return t;
                }
            }
            return null;
        }
    }

    static String write(Object record) {
        try {
            return JSON.writeValueAsString(record);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("records are plain values", e);
        }
    }

    /** A member record, checked; IllegalArgumentException says what is wrong with it. */
    static MemberRecord member(String json, String keyName) {
        MemberRecord r;
        try {
            r = JSON.readValue(json, MemberRecord.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a member record (" + e.getOriginalMessage() + ")");
        }
        if (r.name() == null || !r.name().equals(keyName)) {
            throw new IllegalArgumentException("name " + r.name() + " is not the key's " + keyName);
        }
        if (!NAME.matcher(r.name()).matches()) {
            throw new IllegalArgumentException("name " + r.name() + " is not a valid name");
        }
        if (r.address() == null || r.publicKey() == null || r.pskId() == null || r.algorithm() == null
                || r.tenants() == null) {
            throw new IllegalArgumentException("a field is missing");
        }
        if (r.id() < 1 || r.id() > KeySchedule.MAX_ID) {
            throw new IllegalArgumentException("id " + r.id() + " is out of range (expected 1..2047)");
        }
        if (!r.publicKey().matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("publicKey is not 32 bytes of hex");
        }
        if (r.generation() < 1) {
            throw new IllegalArgumentException("generation " + r.generation() + " (expected >= 1)");
        }
        Set<String> keys = new HashSet<>();
        Set<Integer> slots = new HashSet<>();
        for (TenantRecord t : r.tenants()) {
            if (t == null || !("vxlan".equals(t.encapsulation()) || "geneve".equals(t.encapsulation()))
                    || t.vni() < 1 || t.vni() > TenantConfig.MAX_VNI
                    || !("esp".equals(t.security()) || "none".equals(t.security()))
                    || t.slot() < 0 || t.slot() > KeySchedule.MAX_SLOT) {
                throw new IllegalArgumentException("tenant " + t + " is not valid");
            }
            if (!keys.add(t.key()) || !slots.add(t.slot())) {
                throw new IllegalArgumentException("tenant " + t.key() + " or its slot " + t.slot() + " is listed twice");
            }
        }
        return r;
    }

    /** An FDB announcement: MAC (lower-case, colons) to its mobility sequence number (RFC 7432 section 15). */
    static Map<String, Long> macs(String json) {
        Map<String, Long> m;
        try {
            m = JSON.readValue(json, JSON.getTypeFactory().constructMapType(TreeMap.class, String.class, Long.class));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not an FDB announcement (" + e.getOriginalMessage() + ")");
        }
        for (Map.Entry<String, Long> e : m.entrySet()) {
            if (!MAC.matcher(e.getKey()).matches() || e.getValue() == null || e.getValue() < 0
                    || (Integer.parseInt(e.getKey().substring(0, 2), 16) & 1) != 0) {
                throw new IllegalArgumentException("entry " + e.getKey() + "=" + e.getValue() + " is not a unicast MAC and a sequence number");
            }
        }
        return m;
    }

    /**
     * {@code REVISION SENDER-KEY RECEIVER-KEY}: the receiver installed its inbound SAs from the
     * sender for every tenant the two share, as of the sender's record at REVISION, for the
     * sender's and its own key pairs (each the first 8 bytes of the public key, in hex). A new key
     * on either side (a restart) voids it. The receiver's own tenants need no mention: it installs
     * a tenant's inbound SAs before it publishes the tenant.
     */
    record Ack(long revision, String senderKey, String receiverKey) {
        String text() {
            return revision + " " + senderKey + " " + receiverKey;
        }

        static Ack parse(String text) {
            String[] parts = text.split(" ", -1);
            if (parts.length != 3 || !parts[1].matches("[0-9a-f]{16}") || !parts[2].matches("[0-9a-f]{16}")) {
                throw new IllegalArgumentException("not an ack");
            }
            try {
                return new Ack(Long.parseLong(parts[0]), parts[1], parts[2]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not an ack");
            }
        }
    }

    /** The first 8 bytes of a public key, in hex: enough to tell one process's key from another's. */
    static String publicKeyId(String publicKeyHex) {
        return publicKeyHex.substring(0, 16);
    }
}
