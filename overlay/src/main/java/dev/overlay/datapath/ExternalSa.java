package dev.overlay.datapath;

import dev.overlay.config.SaConfig;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * An SA from outside the config: keys an operator already has (an {@code ip xfrm state} dump, a
 * Wireshark {@code esp_sa} file) given to the pcap tools. It opens ESP and does nothing else.
 * It names no tenant, so the VNI binding of CONTRACT.md cannot be checked for what it opens, and
 * no direction: it is found by SPI and, when the file gives one, the outer destination address,
 * as RFC 4301 section 4.1 looks inbound SAs up.
 *
 * @param sa the keys and transform, as an {@code in} SA with no tenants; its peer is the file's
 *     source address, or {@code *}
 * @param source the outer source address the file gives; empty for any
 * @param destination the outer destination address the file gives; empty for any
 * @param mode the mode when the file states it ({@code ip xfrm}); empty when it does not
 *     (Wireshark's {@code esp_sa}): the next header then decides, IPv4 or IPv6 (4, 41) being
 *     tunnel mode, as Wireshark shows it
 * @param espInUdpPort the UDP destination port of its ESP in UDP (RFC 3948) when the file gives
 *     one, else 0
 * @param origin where it was read, {@code file:line}, for errors and reports
 * @param esnReference with ESN, the 64-bit sequence number the SA had reached when the file was
 *     written (an {@code ip xfrm state} dump's replay state: the larger of {@code seq-hi:seq} and
 *     {@code oseq-hi:oseq}), unsigned; the first packets' high halves are tried near it
 *     ({@link dev.overlay.esp.InboundSaState#resynchronizing}); empty when the file gives none
 */
public record ExternalSa(SaConfig sa, Optional<InetAddress> source, Optional<InetAddress> destination,
                         Optional<SaConfig.Mode> mode, int espInUdpPort, String origin, OptionalLong esnReference) {

    public ExternalSa {
        Objects.requireNonNull(sa, "sa");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(esnReference, "esnReference");
        if (esnReference.isPresent() && !sa.esn()) {
            throw new IllegalArgumentException("esnReference: " + esnReference + " (expected: none without esn)");
        }
        if (sa.direction() != SaConfig.Direction.IN || !sa.tenants().isEmpty()) {
            throw new IllegalArgumentException("sa: " + sa + " (expected: an in SA with no tenants)");
        }
        if (espInUdpPort < 0 || espInUdpPort > 65535) {
            throw new IllegalArgumentException("espInUdpPort: " + espInUdpPort + " (expected: 0..65535)");
        }
    }

    /** An SA from a file that gives no ESN replay state. */
    public ExternalSa(SaConfig sa, Optional<InetAddress> source, Optional<InetAddress> destination,
                      Optional<SaConfig.Mode> mode, int espInUdpPort, String origin) {
        this(sa, source, destination, mode, espInUdpPort, origin, OptionalLong.empty());
    }

    /**
     * True when {@code other} opens the same packets the same way: same SPI, transform and keys
     * (the same SA read twice, from two hosts' dumps or from a file and the config).
     */
    public boolean opensLike(SaConfig other) {
        return other.spi() == sa.spi() && other.algorithm() == sa.algorithm() && other.icvLength() == sa.icvLength()
                && Arrays.equals(other.key(), sa.key()) && other.integrity() == sa.integrity()
                && Arrays.equals(other.integrityKey(), sa.integrityKey()) && other.esn() == sa.esn()
                && (mode.isEmpty() || mode.get() == other.mode());
    }

    /** True when both could open a packet to the same destination: a lookup could not tell them apart. */
    public boolean overlaps(ExternalSa other) {
        return other.sa.spi() == sa.spi() && (destination.isEmpty() || other.destination.isEmpty()
                || destination.get().equals(other.destination.get()));
    }
}
