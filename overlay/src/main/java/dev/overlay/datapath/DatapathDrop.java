package dev.overlay.datapath;

/**
 * Drop reasons of the datapath's own stages; the wire parsers and ESP have theirs
 * ({@link dev.overlay.vtep.VtepDrop}, {@link dev.overlay.esp.EspDrop}).
 */
public enum DatapathDrop {
    NO_TENANT("no-tenant", "frames that belong to no tenant (no --tenant and no 802.1Q tag of a tenant)"),
    NOT_OVERLAY("not-overlay", "packets that are not VXLAN, Geneve or ESP to this gateway's ports"),
    UNKNOWN_VNI("unknown-vni", "overlay packets whose VNI is no tenant's for that encapsulation"),
    UNKNOWN_PEER("unknown-peer", "cleartext VXLAN or Geneve datagrams from an address that is no configured peer"),
    CLEARTEXT_REFUSED("cleartext-refused", "cleartext VXLAN or Geneve for a tenant whose security is esp"),
    NO_SA("no-sa", "frames of an esp tenant to a peer with no outbound SA for that tenant"),
    BAD_NEXT_HEADER("bad-next-header", "decrypted ESP payloads that are not the UDP datagram or IP packet of an overlay"),
    RUNT_FRAME("runt-frame", "inner frames shorter than an Ethernet header"),
    OTHER_TENANT("other-tenant", "frames of tenants other than the one asked for (pcap decode --tenant)"),
    TOO_BIG("too-big", "frames larger than the tenant's MTU allows once encapsulated, not fragmentable (IPv4 with DF,"
            + " IPv6, not IP); the sender gets an ICMP error where RFC 1191 and RFC 8201 allow one");

    private final String label;
    private final String description;

    DatapathDrop(String label, String description) {
        this.label = label;
        this.description = description;
    }

    /** The name in summaries and metrics, e.g. {@code no-tenant}. */
    public String label() {
        return label;
    }

    public String description() {
        return description;
    }
}
