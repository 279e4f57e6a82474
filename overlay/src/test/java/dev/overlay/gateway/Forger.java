package dev.overlay.gateway;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.cli.Configs;
import dev.overlay.config.OverlayConfig;
import dev.overlay.datapath.Buffers;
import dev.overlay.datapath.DropCounts;
import dev.overlay.datapath.OverlayEncap;
import dev.overlay.datapath.Peer;
import dev.overlay.datapath.SaTable;
import dev.overlay.datapath.Topology;
import dev.overlay.esp.OutboundSaState;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.nio.file.Path;

/**
 * The attacker's sealing side: the datapath's own encapsulation driven from a config the attacker
 * writes, so a packet sealed here is byte for byte what a gateway holding those keys would send
 * (AES-GCM's IV is the sequence number, so re-sealing sequence {@code n} reproduces the captured
 * packet {@code n} exactly: a replay). Closes its SA states, wiping its keys.
 */
final class Forger implements AutoCloseable {
    private final Topology topology;
    private final SaTable sas;
    private final OverlayEncap encap;
    private final Peer peer;

    /** {@code config}: a gw-a-side config whose out SAs the attacker holds; frames go to {@code peer}. */
    Forger(Path config, String peer) {
        OverlayConfig c = Configs.loadOrFail(config);
        this.topology = Topology.of(c);
        this.sas = SaTable.of(topology, true);
        this.encap = new OverlayEncap(topology, sas);
        this.peer = topology.peers().get(peer);
    }

    /** The ESP packet (a UDP payload for esp-port) carrying {@code frame} for {@code tenant}, sealed with {@code spi}. */
    byte[] seal(String tenant, int spi, byte[] frame) {
        OutboundSaState sa = sas.outboundStates().stream().filter(s -> s.spi() == spi).findFirst().orElseThrow();
        ByteBuf buf = Buffers.frame(ByteBufAllocator.DEFAULT, frame, 0, frame.length);
        try {
            assertTrue(encap.encapsulateForSocket(buf, topology.tenant(tenant), peer, sa, new DropCounts()),
                    "forger could not seal");
            return ByteBufUtil.getBytes(buf);
        } finally {
            buf.release();
        }
    }

    @Override
    public void close() {
        sas.close();
    }
}
