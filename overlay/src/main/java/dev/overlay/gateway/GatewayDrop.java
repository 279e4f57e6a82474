package dev.overlay.gateway;

/** Drop reasons of the gateway's own steps, beside the datapath's ({@link dev.overlay.datapath.DatapathDrop}). */
enum GatewayDrop {
    NO_PORT("no-port", "frames for a tenant that has no port to deliver them to"),
    NO_PEER("no-peer", "frames of a tenant that lists no peer to send them to"),
    STOPPING("stopping", "packets and frames that arrived while the gateway was starting or stopping"),
    PORT_GONE("port-gone", "frames read from a port whose tenant a reload removed"),
    UNDERLAY_BUSY("underlay-busy", "wire packets dropped because the underlay socket's send buffer was full"),
    UNDERLAY_CLOSED("underlay-closed", "wire packets sent while the gateway was stopping"),
    UNDERLAY_SEND_FAILED("underlay-send-failed", "wire packets the kernel refused to send (an error on the underlay socket, e.g. no route to the peer)");

    private final String label;
    private final String description;

    GatewayDrop(String label, String description) {
        this.label = label;
        this.description = description;
    }

    String label() {
        return label;
    }

    String description() {
        return description;
    }
}
