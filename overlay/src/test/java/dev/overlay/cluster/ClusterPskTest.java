package dev.overlay.cluster;

import static dev.overlay.cluster.ClusterLab.await;
import static dev.overlay.cluster.ClusterLab.frame;
import static dev.overlay.cluster.ClusterLab.payload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.config.ConfigLoader;
import dev.overlay.config.SaConfig;
import dev.overlay.esp.EspAlgorithm;
import dev.overlay.gateway.Gateway;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the cluster PSK is for: someone who can write to etcd (a compromised etcd, a stolen client
 * certificate) but does not hold the PSK registers a gateway of its own, copying the honest
 * members' PSK tag. The honest gateways install inbound SAs for it, but the keys it can derive
 * are not theirs: every packet it seals fails integrity and nothing reaches a tenant. The same
 * attacker holding the PSK (or a cluster without one) does get through: the control.
 */
class ClusterPskTest {
    private static final String PSK = "5ca1ab1e".repeat(8);

    @Test
    void anEtcdWriterWithoutThePskCannotInjectIntoATenant() throws Exception {
        try (ClusterLab lab = new ClusterLab()) {
            lab.pskHex = PSK;
            ClusterLab.Node gw1 = lab.node(1).start();
            ClusterLab.Node gw2 = lab.node(2).start();
            await("gw-1 and gw-2 meshed", Duration.ofSeconds(30), () -> lab.fullMesh(1, 2));

            assertEquals(0, attack(lab, gw1, null), "without the PSK: nothing delivered");
            assertEquals(5, attack(lab, gw1, HexFormat.of().parseHex(PSK)), "the control: with the PSK it gets through");
        }
    }

    @Test
    void aGatewayWithAnotherPskIsRefusedWithAReason() throws Exception {
        try (ClusterLab lab = new ClusterLab()) {
            lab.pskHex = PSK;
            lab.node(3).pskHex = "0badc0de".repeat(8);
            ClusterLab.Node gw1 = lab.node(1).start();
            lab.node(2).start();
            ClusterLab.Node gw3 = lab.node(3).start();
            await("gw-1 and gw-2 meshed", Duration.ofSeconds(30), () -> lab.fullMesh(1, 2));
            await("gw-3 seen", Duration.ofSeconds(10), () -> gw1.agent.status().members().contains("gw-3"));
            Thread.sleep(1000);
            assertFalse(gw1.gateway.config().peers().containsKey("gw-3"));
            assertTrue(gw3.gateway.config().peers().isEmpty());
        }
    }

    /**
     * Registers gw-x in etcd with the honest PSK tag but its own key pair, then sends 5 frames to
     * gw-1's blue tenant through a plain gateway holding the key it derived with {@code psk}.
     * Returns how many reached gw-1's blue port.
     */
    private static int attack(ClusterLab lab, ClusterLab.Node gw1, byte[] psk) throws Exception {
        Path dir = Files.createTempDirectory(lab.dir, "attacker-");
        try (Etcd etcd = new Etcd(ResumingWatchTest.config(lab.etcd.endpoints()))) {
            String members = lab.prefix + "/members/";
            Records.MemberRecord honest = Records.member(etcd.range(members + "gw-1", 0).get().entries().getFirst().value(),
                    "gw-1");
            KeyPair mine = KeySchedule.generate();
            byte[] pub = KeySchedule.publicBytes(mine.getPublic());
            int id = psk == null ? 2000 : 2001;
            String name = "gw-x" + id;
            long lease = etcd.grant(30).get();
            assertTrue(etcd.create(lab.prefix + "/ids/" + id, name, lease).get());
            etcd.put(members + name, Records.write(new Records.MemberRecord(name, "127.0.13.4", id,
                    HexFormat.of().formatHex(pub), honest.pskId(), "aes-gcm-256", 1,
                    List.of(new Records.TenantRecord("vxlan", 1001, "esp", 0)))), lease).get();
            await("gw-1 installs inbound SAs for " + name, Duration.ofSeconds(10),
                    () -> gw1.gateway.config().securityAssociations().stream()
                            .anyMatch(sa -> sa.peer().equals(name) && sa.direction() == SaConfig.Direction.IN));

            byte[] gw1Key = honest.publicKeyBytes();
            byte[] shared = KeySchedule.sharedSecret(mine.getPrivate(), gw1Key);
            byte[] key = KeySchedule.saKey(shared, psk, new KeySchedule.Binding(lab.prefix, pub, gw1Key, false, 1001,
                    honest.generation(), EspAlgorithm.AES_GCM_256));
            long spi = KeySchedule.spi(honest.id(), id, honest.tenant("vxlan-1001").slot(), honest.generation());
            int[] ports = FreePorts.udp(List.of("127.0.13.4"), 2);
            Path config = Files.writeString(dir.resolve("attacker.yaml"), """
                    gateway: { name: %s, address: 127.0.13.4, esp-port: %d, vxlan-port: %d, geneve-port: %d, workers: 1 }
                    peers:
                      gw-1: { address: 127.0.13.1 }
                    tenants:
                      blue: { vni: 1001, peers: [gw-1], ports: [ { type: udp, listen: "127.0.13.4:%d", remote: "127.0.13.4:%d" } ] }
                    security-associations:
                      - { spi: %d, direction: out, peer: gw-1, tenants: [blue], algorithm: aes-gcm-256, esn: true, key: "%s" }
                    """.formatted(name, lab.esp, lab.vxlan, lab.geneve, ports[0], ports[1], spi, HexFormat.of().formatHex(key)));
            long integrityBefore = gw1.gateway.stats().drops("integrity");
            Gateway attacker = Gateway.start(ConfigLoader.load(config).orThrow(),
                    Gateway.Options.DEFAULT.withPorts(Gateway.PortOpener.SYSTEM));
            int delivered = 0;
            try (DatagramSocket host = new DatagramSocket(new InetSocketAddress("127.0.13.4", ports[1]))) {
                gw1.drain("blue");
                for (int i = 0; i < 5; i++) {
                    byte[] f = frame(gw1.mac(1), 0x02BAD0000001L, "injected " + i);
                    host.send(new DatagramPacket(f, f.length, new InetSocketAddress("127.0.13.4", ports[0])));
                }
                for (byte[] got = gw1.take("blue", 2000); got != null; got = gw1.take("blue", 500)) {
                    if (payload(got).startsWith("injected ")) {
                        delivered++;
                    }
                }
                if (delivered == 0) {
                    assertEquals(5, gw1.gateway.stats().drops("integrity") - integrityBefore,
                            "each forged packet is an integrity drop at gw-1");
                }
            } finally {
                attacker.close();
                etcd.revoke(lease).get();
            }
            return delivered;
        }
    }
}
