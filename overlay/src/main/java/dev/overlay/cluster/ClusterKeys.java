package dev.overlay.cluster;

/**
 * Where each thing lives in etcd, under the cluster's {@code prefix} (README, "Cluster mode"):
 *
 * <pre>
 * PREFIX/members/NAME            member record (JSON), under NAME's lease
 * PREFIX/ids/N                   NAME, under NAME's lease: id N (1..2047, the SPI block) is taken
 * PREFIX/fdb/ENCAP-VNI/NAME      MACs behind NAME's ports for that tenant (JSON), under NAME's lease
 * PREFIX/acks/SENDER/RECEIVER    "REVISION PUBKEY-ID": RECEIVER installed SENDER's inbound SAs as of
 *                                SENDER's record at REVISION, under RECEIVER's lease
 * PREFIX/rekey                   any value: every gateway rolls its inbound SAs when it changes
 * </pre>
 *
 * Every key a gateway writes hangs on its lease, so a gateway that dies leaves no trace once
 * the lease expires. Names and numbers only: no key material, ever.
 */
record ClusterKeys(String prefix) {

    String members() {
        return prefix + "/members/";
    }

    String member(String name) {
        return members() + name;
    }

    String ids() {
        return prefix + "/ids/";
    }

    String id(int id) {
        return ids() + id;
    }

    String fdb() {
        return prefix + "/fdb/";
    }

    String fdb(String tenant, String gateway) {
        return fdb() + tenant + "/" + gateway;
    }

    /** The acks addressed to {@code sender}: what the agent of {@code sender} watches. */
    String acksTo(String sender) {
        return prefix + "/acks/" + sender + "/";
    }

    String ack(String sender, String receiver) {
        return acksTo(sender) + receiver;
    }

    String rekey() {
        return prefix + "/rekey";
    }

    /** The last path element after {@code under}, or null when {@code key} is not directly below it. */
    static String leaf(String key, String under) {
        if (!key.startsWith(under)) {
            return null;
        }
        String rest = key.substring(under.length());
        return rest.isEmpty() || rest.indexOf('/') >= 0 ? null : rest;
    }

    /** {@code [tenant, gateway]} of an fdb key, or null. */
    String[] fdbParts(String key) {
        if (!key.startsWith(fdb())) {
            return null;
        }
        String[] parts = key.substring(fdb().length()).split("/", -1);
        return parts.length == 2 && !parts[0].isEmpty() && !parts[1].isEmpty() ? parts : null;
    }
}
