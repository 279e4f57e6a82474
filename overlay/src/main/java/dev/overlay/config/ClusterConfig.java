package dev.overlay.config;

import dev.overlay.esp.EspAlgorithm;
import java.net.URI;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code gateway.cluster}: the etcd cluster this gateway shares its membership, FDB and SA
 * generations through (README, "Cluster mode"). Absent, the gateway runs from its file alone.
 *
 * @param etcd client URLs ({@code http://} or {@code https://}), tried in order
 * @param prefix every key of this overlay lives under {@code prefix/}; gateways with the same
 *     prefix form one overlay
 * @param tls trust anchor and client certificate for {@code https://} endpoints; empty uses the
 *     JDK's trust store and no client certificate
 * @param psk the pre-shared key of {@code psk-file}, mixed into every SA key derivation (as
 *     WireGuard's PSK), or {@code null}; never printed
 * @param algorithm the AEAD of the SAs derived for cluster peers
 * @param rekeySeconds how often this gateway rolls its inbound SAs to a new generation; 0: only
 *     when {@code prefix/rekey} changes
 * @param graceSeconds how long a rolled generation's inbound SAs stay after the new one is published
 * @param leaseSeconds the TTL of this gateway's etcd lease: how long after a crash it leaves
 *     the others' flood lists
 */
public record ClusterConfig(List<URI> etcd, String prefix, Optional<Tls> tls, byte[] psk, EspAlgorithm algorithm,
                            int rekeySeconds, int graceSeconds, int leaseSeconds) {

    public static final int DEFAULT_REKEY_SECONDS = 3600;
    public static final int DEFAULT_GRACE_SECONDS = 30;
    public static final int DEFAULT_LEASE_SECONDS = 10;
    /** The AEADs a derived SA may use: their keys are all HKDF output, their salts too. */
    public static final List<EspAlgorithm> ALGORITHMS =
            List.of(EspAlgorithm.AES_GCM_128, EspAlgorithm.AES_GCM_256, EspAlgorithm.CHACHA20_POLY1305);

    /**
     * TLS towards etcd (its {@code --trusted-ca-file}, {@code --cert-file}, {@code --client-cert-auth}).
     *
     * @param ca PEM certificates that sign etcd's server certificates; empty: the JDK's trust store
     * @param cert PEM client certificate for mutual TLS, with {@code key}; empty for none
     * @param key its PKCS#8 PEM private key, mode 0600
     */
    public record Tls(Optional<Path> ca, Optional<Path> cert, Optional<Path> key) {
        public Tls {
            Objects.requireNonNull(ca, "ca");
            Objects.requireNonNull(cert, "cert");
            Objects.requireNonNull(key, "key");
            if (cert.isPresent() != key.isPresent()) {
                throw new IllegalArgumentException("tls: cert and key go together");
            }
        }
    }

    public ClusterConfig {
        etcd = List.copyOf(etcd);
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(algorithm, "algorithm");
        if (etcd.isEmpty()) {
            throw new IllegalArgumentException("etcd: empty (expected: at least one endpoint)");
        }
        if (!ALGORITHMS.contains(algorithm)) {
            throw new IllegalArgumentException("algorithm: " + algorithm + " (expected: one of " + ALGORITHMS + ")");
        }
        if (rekeySeconds < 0 || graceSeconds < 1 || leaseSeconds < 2) {
            throw new IllegalArgumentException("rekey/grace/lease: " + rekeySeconds + "/" + graceSeconds + "/"
                    + leaseSeconds + " (expected: >= 0, >= 1, >= 2)");
        }
        psk = psk == null ? null : psk.clone();
    }

    public boolean hasPsk() {
        return psk != null;
    }

    @Override
    public byte[] psk() {
        return psk == null ? null : psk.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClusterConfig c && c.etcd.equals(etcd) && c.prefix.equals(prefix) && c.tls.equals(tls)
                && Arrays.equals(c.psk, psk) && c.algorithm == algorithm && c.rekeySeconds == rekeySeconds
                && c.graceSeconds == graceSeconds && c.leaseSeconds == leaseSeconds;
    }

    @Override
    public int hashCode() {
        return Objects.hash(etcd, prefix, tls, Arrays.hashCode(psk), algorithm, rekeySeconds, graceSeconds,
                leaseSeconds);
    }

    /** Everything but the pre-shared key, of which only its presence is shown. */
    @Override
    public String toString() {
        return "ClusterConfig[etcd=" + etcd + ", prefix=" + prefix + ", tls=" + tls + ", psk="
                + (psk == null ? "none" : "<" + psk.length + " bytes>") + ", algorithm=" + algorithm
                + ", rekeySeconds=" + rekeySeconds + ", graceSeconds=" + graceSeconds
                + ", leaseSeconds=" + leaseSeconds + "]";
    }
}
