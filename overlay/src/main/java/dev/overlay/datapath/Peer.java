package dev.overlay.datapath;

import dev.overlay.config.PeerConfig;
import dev.overlay.vtep.MacAddress;

/**
 * A peer gateway as the datapath uses it: its underlay address as bytes (the form the header
 * writers take) and the outer destination MAC for captures.
 *
 * @param mac outer destination MAC: the configured one, else a locally administered address
 *     derived from the peer's IP address (02:00 then its last four bytes), so captures stay
 *     readable and reproducible
 */
public record Peer(String name, byte[] address, long mac) {

    static Peer of(PeerConfig config) {
        byte[] address = config.address().getAddress();
        long mac = config.mac().map(MacAddress::value).orElseGet(() -> derivedMac(address));
        return new Peer(config.name(), address, mac);
    }

    /** 02:00:a.b.c.d for an address ending in a.b.c.d: unicast, locally administered (IEEE 802 bit 1). */
    static long derivedMac(byte[] address) {
        long mac = 0x0200L << 32;
        for (int i = address.length - 4; i < address.length; i++) {
            mac |= (address[i] & 0xFFL) << (8 * (address.length - 1 - i));
        }
        return mac;
    }

    public boolean ipv6() {
        return address.length == 16;
    }
}
