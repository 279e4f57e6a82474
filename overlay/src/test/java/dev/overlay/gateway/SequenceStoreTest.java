package dev.overlay.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.esp.EspAlgorithm;
import dev.overlay.esp.EspDrop;
import dev.overlay.esp.EspEncrypt;
import dev.overlay.esp.OutboundSaState;
import dev.overlay.esp.SecurityAssociation;
import dev.overlay.gateway.port.PortException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The state file: reserve ahead, persist before use, resume after a crash, never hold a key. */
class SequenceStoreTest {
    @TempDir
    Path dir;

    private final EventLog log = new EventLog("gw-a");

    static SecurityAssociation sa(int spi, byte seed, long initial) {
        byte[] key = new byte[36];
        java.util.Arrays.fill(key, seed);
        return new SecurityAssociation(spi, SecurityAssociation.Direction.OUT, EspAlgorithm.AES_GCM_256, 16, key, null,
                null, SecurityAssociation.Mode.TRANSPORT, false, initial, 0, SecurityAssociation.Lifetime.UNLIMITED,
                List.of("blue"), "gw-b");
    }

    static EspDrop seal(OutboundSaState sa) {
        ByteBuf buf = Unpooled.buffer(128).writerIndex(64).readerIndex(64).writeZero(8);
        try {
            return EspEncrypt.seal(sa, buf, 17);
        } finally {
            buf.release();
        }
    }

    private SequenceStore store(long step) throws PortException {
        SequenceStore s = new SequenceStore(dir, "gw-a", step, log);
        s.open();
        return s;
    }

    @Test
    void aCrashedRunIsResumedAfterItsReservation() throws Exception {
        SequenceStore first = store(1000);
        OutboundSaState a = new OutboundSaState(sa(0x1001, (byte) 1, 0));
        first.adopt(List.of(a));
        for (int i = 0; i < 10; i++) {
            assertNull(seal(a));
        }
        // A crash: no close, no exact number written; what is on disk is the reservation.
        String text = Files.readString(first.file());
        assertTrue(text.contains("0x00001001 out " + SequenceStore.fingerprint(a.association()) + " 1000\n"), text);

        SequenceStore second = store(1000);
        OutboundSaState again = new OutboundSaState(sa(0x1001, (byte) 1, 0));
        second.adopt(List.of(again));
        assertNull(seal(again));
        assertEquals(1001, again.sequence(), "skips every number the crashed run may have used");
        second.close(true);
        first.close();
    }

    @Test
    void aGracefulStopWritesTheExactNumberAndTheFileHoldsNoKeyBytes() throws Exception {
        SequenceStore first = store(1 << 20);
        OutboundSaState a = new OutboundSaState(sa(0x1001, (byte) 0x5c, 7));
        first.adopt(List.of(a));
        for (int i = 0; i < 25; i++) {
            assertNull(seal(a));
        }
        first.close(true);
        String text = Files.readString(first.file());
        assertTrue(text.endsWith(" 32\n"), text);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(first.file())));
        // No 4-byte run of the key, in hex or raw.
        byte[] key = sa(0x1001, (byte) 0x5c, 7).key();
        String hex = HexFormat.of().formatHex(key);
        for (int i = 0; i + 8 <= hex.length(); i += 2) {
            assertFalse(text.toLowerCase().contains(hex.substring(i, i + 8)), text);
        }
        assertFalse(text.contains(new String(key, 0, 4, StandardCharsets.ISO_8859_1)));

        SequenceStore second = store(1 << 20);
        OutboundSaState again = new OutboundSaState(sa(0x1001, (byte) 0x5c, 7));
        second.adopt(List.of(again));
        assertNull(seal(again));
        assertEquals(33, again.sequence(), "a clean restart skips nothing");
        second.close(true);
    }

    @Test
    void aNewKeyUnderTheSameSpiStartsFreshAndRemovedSasAreForgotten() throws Exception {
        SequenceStore first = store(1000);
        OutboundSaState a = new OutboundSaState(sa(0x1001, (byte) 1, 0));
        OutboundSaState b = new OutboundSaState(sa(0x1002, (byte) 2, 0));
        first.adopt(List.of(a, b));
        first.close(false);

        SequenceStore second = store(1000);
        OutboundSaState rekeyed = new OutboundSaState(sa(0x1001, (byte) 3, 0));
        assertNotEquals(SequenceStore.fingerprint(a.association()), SequenceStore.fingerprint(rekeyed.association()));
        second.adopt(List.of(rekeyed));
        assertNull(seal(rekeyed));
        assertEquals(1, rekeyed.sequence(), "a new key is a new nonce space");
        String text = Files.readString(second.file());
        assertFalse(text.contains("0x00001002"), "the removed SA's line is dropped:\n" + text);
        assertFalse(text.contains(SequenceStore.fingerprint(a.association())), text);
        second.close(true);
    }

    @Test
    void packetsPastTheReservationAreDroppedWhileTheStoreIsBlockedThenResume() throws Exception {
        SequenceStore s = store(8);
        OutboundSaState a = new OutboundSaState(sa(0x1001, (byte) 1, 0));
        s.adopt(List.of(a));
        synchronized (s) { // the store's thread cannot write: a stalled disk
            for (int i = 0; i < 8; i++) {
                assertNull(seal(a));
            }
            for (int i = 0; i < 3; i++) {
                assertEquals(EspDrop.SEQUENCE_RESERVE, seal(a));
            }
        }
        assertEquals(3, a.counters().drops(EspDrop.SEQUENCE_RESERVE));
        assertEquals(8, a.sequence());
        TwoGateways.waitFor(() -> a.granted() == 16, "the extension to land");
        assertTrue(Files.readString(s.file()).endsWith(" 16\n"));
        assertNull(seal(a));
        assertEquals(9, a.sequence());
        s.close(true);
    }

    @Test
    void anUnreadableStateFileRefusesTheStart() throws Exception {
        Files.writeString(dir.resolve("gw-a.seq"), "0x00001001 out deadbeef 12\n");
        SequenceStore s = new SequenceStore(dir, "gw-a", 8, log);
        PortException e = assertThrows(PortException.class, s::open);
        assertTrue(e.getMessage().contains("gw-a.seq line 1 is not a sequence record"), e.getMessage());
        s.close();
    }
}
