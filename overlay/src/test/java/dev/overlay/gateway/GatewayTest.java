package dev.overlay.gateway;

import static dev.overlay.gateway.TwoGateways.frame;
import static dev.overlay.gateway.TwoGateways.waitFor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.cli.Configs;
import dev.overlay.config.OverlayConfig;
import dev.overlay.datapath.Buffers;
import dev.overlay.datapath.DropCounts;
import dev.overlay.datapath.OverlayEncap;
import dev.overlay.datapath.Peer;
import dev.overlay.datapath.SaTable;
import dev.overlay.datapath.Topology;
import dev.overlay.vtep.Vxlan;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two gateways end to end over real udp tenant ports and ESP-in-UDP on the loopback. */
class GatewayTest {
    static final long MAC_1 = 0x02_00_00_00_00_01L;
    static final long MAC_2 = 0x02_00_00_00_00_02L;
    static final long BROADCAST = 0xFFFF_FFFF_FFFFL;

    @TempDir
    Path dir;

    @Test
    void framesOfTwoTenantsWithOverlappingAddressesReachOnlyTheirOwnFarSide() throws Exception {
        try (TwoGateways gws = new TwoGateways(dir, "udp").start()) {
            TwoGateways.End blueA = gws.end("blue", 0);
            TwoGateways.End redA = gws.end("red", 0);
            TwoGateways.End blueB = gws.end("blue", 1);
            TwoGateways.End redB = gws.end("red", 1);
            int n = 50;
            for (int i = 0; i < n; i++) {
                blueA.inject(frame(MAC_2, MAC_1, "blue " + i));
                redA.inject(frame(MAC_2, MAC_1, "red " + i));
            }
            for (int i = 0; i < n; i++) {
                assertArrayEquals(frame(MAC_2, MAC_1, "blue " + i), blueB.take(), "blue frame " + i);
                assertArrayEquals(frame(MAC_2, MAC_1, "red " + i), redB.take(), "red frame " + i);
            }
            blueB.timeout(200);
            redB.timeout(200);
            assertNull(blueB.take(), "nothing more for blue");
            assertNull(redB.take(), "nothing more for red");
            // And back: gw-b's blue answers, only gw-a's blue hears it.
            blueB.inject(frame(MAC_1, MAC_2, "reply"));
            assertArrayEquals(frame(MAC_1, MAC_2, "reply"), blueA.take());
            redA.timeout(200);
            assertNull(redA.take());

            GatewayStats a = gws.gwA.stats();
            GatewayStats b = gws.gwB.stats();
            assertEquals(n, a.tenant("blue").txFrames());
            assertEquals(n, a.tenant("red").txFrames());
            assertEquals(n, a.sa("0x00001001", "out").packets());
            assertEquals(n, a.sa("0x00001002", "out").packets());
            assertEquals(n, b.sa("0x00001001", "in").packets());
            assertEquals(n, b.sa("0x00001002", "in").packets());
            assertEquals(n, b.tenant("blue").rxFrames());
            assertEquals(n, b.tenant("red").rxFrames());
            assertEquals(0, a.totalDrops(), () -> "gw-a drops " + a.drops());
            assertEquals(0, b.totalDrops(), () -> "gw-b drops " + b.drops());
            // Both workers own SAs: steering by SPI spreads the four SAs of gw-b over both.
            assertEquals(2, b.workers().size());
            assertTrue(b.workers().stream().allMatch(w -> w.packets() > 0), () -> "per worker " + b.workers());
        }
    }

    @Test
    void framesCrossTheOverlayBetweenRealUdpTenantPorts() throws Exception {
        TwoGateways gws = new TwoGateways(dir, "udp");
        gws.realPorts = true;
        try (gws) {
            gws.start();
            TwoGateways.End blueA = gws.end("blue", 0);
            TwoGateways.End blueB = gws.end("blue", 1);
            TwoGateways.End greenA = gws.end("green", 0);
            TwoGateways.End greenB = gws.end("green", 1);
            for (int i = 0; i < 20; i++) {
                blueA.inject(frame(MAC_2, MAC_1, "udp " + i));
                greenA.inject(frame(MAC_2, MAC_1, "clear " + i));
            }
            for (int i = 0; i < 20; i++) {
                assertArrayEquals(frame(MAC_2, MAC_1, "udp " + i), blueB.take(), "blue " + i);
                assertArrayEquals(frame(MAC_2, MAC_1, "clear " + i), greenB.take(), "green " + i);
            }
            blueB.inject(frame(MAC_1, MAC_2, "back"));
            assertArrayEquals(frame(MAC_1, MAC_2, "back"), blueA.take());
            assertEquals(0, gws.gwB.stats().totalDrops(), () -> gws.gwB.stats().drops().toString());
        }
    }

    @Test
    void cleartextIsTakenOnlyFromPeersAndOnlyForTenantsWithoutEsp() throws Exception {
        try (TwoGateways gws = new TwoGateways(dir, "udp").start()) {
            TwoGateways.End greenB = gws.end("green", 1);
            byte[] inner = frame(MAC_2, MAC_1, "clear");
            try (DatagramSocket fromA = new DatagramSocket(new InetSocketAddress(TwoGateways.A, 0));
                 DatagramSocket fromElsewhere = new DatagramSocket(new InetSocketAddress("127.0.0.3", 0))) {
                InetSocketAddress vxlanB = new InetSocketAddress(TwoGateways.B, gws.vxlan);
                fromA.send(packet(vxlan(1001, inner), vxlanB));      // blue is esp: refused
                fromElsewhere.send(packet(vxlan(1003, inner), vxlanB)); // not a peer: refused
                fromA.send(packet(vxlan(1003, inner), vxlanB));      // green, from gw-a: taken
            }
            assertArrayEquals(inner, greenB.take());
            waitFor(() -> gws.gwB.stats().drops("cleartext-refused") == 1, "cleartext-refused");
            waitFor(() -> gws.gwB.stats().drops("unknown-peer") == 1, "unknown-peer");
            assertEquals(1, gws.gwB.stats().tenant("green").rxFrames());
            assertEquals(0, gws.gwB.stats().tenant("blue").rxFrames());
        }
    }

    @Test
    void vniOfAnotherTenantInsideAValidSaIsTenantMismatch() throws Exception {
        try (TwoGateways gws = new TwoGateways(dir, "udp").start()) {
            TwoGateways.End redB = gws.end("red", 1);
            redB.timeout(300);
            // Seal red's VNI with blue's SA, as a peer holding only blue's key might try.
            OverlayConfig a = Configs.loadOrFail(gws.writeA());
            Topology topology = Topology.of(a);
            try (SaTable sas = SaTable.of(topology, true)) {
                Peer peer = topology.peers().get("gw-b");
                var blueSa = sas.outbound(topology.tenant("blue"), peer)[0];
                byte[] f = frame(MAC_2, MAC_1, "intruder");
                ByteBuf buf = Buffers.frame(ByteBufAllocator.DEFAULT, f, 0, f.length);
                assertTrue(new OverlayEncap(topology, sas).encapsulateForSocket(buf, topology.tenant("red"), peer,
                        blueSa, new DropCounts()));
                byte[] esp = ByteBufUtil.getBytes(buf);
                buf.release();
                try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(TwoGateways.A, 0))) {
                    s.send(packet(esp, new InetSocketAddress(TwoGateways.B, gws.esp)));
                }
            }
            waitFor(() -> gws.gwB.stats().drops("tenant-mismatch") == 1, "tenant-mismatch");
            assertEquals(1, gws.gwB.stats().sa("0x00001001", "in").drops().get("tenant-mismatch"));
            assertNull(redB.take(), "red must not get a frame sealed with blue's SA");
            assertEquals(0, gws.gwB.stats().tenant("red").rxFrames());
        }
    }

    @Test
    void learnedMacMakesUnicastGoToOnePeerInsteadOfAll() throws Exception {
        try (TwoGateways gws = new TwoGateways(dir, "udp").withThirdPeer().start()) {
            TwoGateways.End blueA = gws.end("blue", 0);
            TwoGateways.End blueB = gws.end("blue", 1);
            blueA.inject(frame(MAC_2, MAC_1, "unknown unicast"));
            waitFor(() -> gws.gwA.stats().sa("0x00001003", "out").packets() == 1, "flood to gw-c");
            waitFor(() -> gws.gwA.stats().sa("0x00001001", "out").packets() == 1, "flood to gw-b");
            assertNotNull(blueB.take());
            // gw-b's station MAC_2 speaks: gw-a learns it behind gw-b.
            blueB.inject(frame(MAC_1, MAC_2, "hello"));
            assertNotNull(blueA.take());
            assertEquals(1, gws.gwA.stats().tenant("blue").fdbEntries());
            blueA.inject(frame(MAC_2, MAC_1, "known unicast"));
            assertArrayEquals(frame(MAC_2, MAC_1, "known unicast"), blueB.take());
            GatewayStats a = gws.gwA.stats();
            assertEquals(2, a.sa("0x00001001", "out").packets());
            assertEquals(1, a.sa("0x00001003", "out").packets(), "gw-c gets no copy of a learned unicast");
            // Broadcast still goes to both.
            blueA.inject(frame(BROADCAST, MAC_1, "broadcast"));
            waitFor(() -> gws.gwA.stats().sa("0x00001003", "out").packets() == 2, "broadcast to gw-c");
        }
    }

    @Test
    void sendsTheKernelRefusesAreCountedNotLost() throws Exception {
        // gw-c sits where a socket bound to 127.0.0.1 cannot send: the kernel refuses a loopback
        // source toward a routed destination (EINVAL). Each copy flooded to it is a counted drop,
        // and the copies for gw-b still arrive.
        try (TwoGateways gws = new TwoGateways(dir, "udp").withThirdPeer("198.51.100.7").start()) {
            TwoGateways.End blueA = gws.end("blue", 0);
            TwoGateways.End blueB = gws.end("blue", 1);
            for (int i = 0; i < 3; i++) {
                blueA.inject(frame(BROADCAST, MAC_1, "flood " + i));
            }
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(frame(BROADCAST, MAC_1, "flood " + i), blueB.take());
            }
            waitFor(() -> gws.gwA.stats().drops("underlay-send-failed") == 3, "three refused sends counted");
            assertEquals(3, gws.gwA.stats().sa("0x00001003", "out").packets());
        }
    }

    @Test
    void framesLargerThanTheTenantMtuAreDroppedAndCounted() throws Exception {
        try (TwoGateways gws = new TwoGateways(dir, "udp").start()) {
            TwoGateways.End blueA = gws.end("blue", 0);
            byte[] big = TwoGateways.frameDf(MAC_2, MAC_1, "x".repeat(1500)); // DF: may not be fragmented
            blueA.inject(big);
            waitFor(() -> gws.gwA.stats().drops("too-big") == 1, "too-big");
            assertEquals(0, gws.gwA.stats().sa("0x00001001", "out").packets());
        }
    }

    static DatagramPacket packet(byte[] data, InetSocketAddress to) {
        return new DatagramPacket(data, data.length, to);
    }

    static byte[] vxlan(int vni, byte[] inner) {
        ByteBuf b = Buffers.frame(ByteBufAllocator.DEFAULT, inner, 0, inner.length);
        Vxlan.prepend(b, vni);
        byte[] out = ByteBufUtil.getBytes(b);
        b.release();
        return out;
    }

    static InetAddress address(String a) throws Exception {
        return InetAddress.getByName(a);
    }
}
