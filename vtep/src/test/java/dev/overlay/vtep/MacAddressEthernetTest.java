package dev.overlay.vtep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import org.junit.jupiter.api.Test;

class MacAddressEthernetTest {
    @Test
    void macAddressesParseAndPrintInLowercaseColonForm() {
        MacAddress m = MacAddress.of("02:00:00:00:0A:01");
        assertEquals(0x0200_0000_0a01L, m.value());
        assertEquals("02:00:00:00:0a:01", m.toString());
        assertFalse(m.isMulticast());
        assertTrue(MacAddress.of("01:00:5e:00:00:fb").isMulticast());
        assertTrue(MacAddress.BROADCAST.isMulticast());
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> MacAddress.of("02:00:00:00:0a"));
        assertTrue(e.getMessage().startsWith("mac: \"02:00:00:00:0a\" (expected:"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MacAddress.of("02:00:00:00:0a:0g"));
        assertThrows(IllegalArgumentException.class, () -> new MacAddress(1L << 48));
    }

    @Test
    void prependWritesTheHeaderAndNeedsHeadroom() {
        ByteBuf b = TestPackets.withHeadroom(new byte[] {1, 2});
        Ethernet.prepend(b, 0x0200_0000_0b01L, 0x0200_0000_0a01L, Ethernet.TYPE_IPV4);
        assertEquals("020000000b01020000000a0108000102", ByteBufUtil.hexDump(b));
        assertEquals(0x0200_0000_0b01L, MacAddress.read(b, b.readerIndex()));
        b.readerIndex(10);
        assertThrows(IllegalArgumentException.class, () -> Ethernet.prepend(b, 0, 0, 0x0800));
        b.release();
    }

    @Test
    void vlanTagsAreInsertedAndRemovedInPlace() {
        byte[] frame = TestPackets.innerFrame(1, 2, 3, 4);
        ByteBuf b = TestPackets.withHeadroom(frame);
        int start = b.readerIndex();
        assertEquals(-1, Ethernet.vlanOf(b));
        Ethernet.insertVlanTag(b, 101);
        assertEquals(start - 4, b.readerIndex());
        assertEquals(101, Ethernet.vlanOf(b));
        assertEquals(ByteBufUtil.hexDump(frame, 0, 12) + "81000065" + ByteBufUtil.hexDump(frame, 12,
                frame.length - 12), ByteBufUtil.hexDump(b));
        Ethernet.removeVlanTag(b);
        assertEquals(start, b.readerIndex());
        assertEquals(ByteBufUtil.hexDump(frame), ByteBufUtil.hexDump(b));
        assertThrows(IllegalArgumentException.class, () -> Ethernet.insertVlanTag(b, 4095));
        b.release();
    }

    @Test
    void dropLabelsAreKebabCaseWithDescriptions() {
        assertEquals("vxlan-no-i-flag", VtepDrop.VXLAN_NO_I_FLAG.label());
        assertEquals("geneve-critical-option", VtepDrop.GENEVE_CRITICAL_OPTION.label());
        for (VtepDrop d : VtepDrop.values()) {
            assertEquals(d, VtepDrop.ofLabel(d.label()));
            assertFalse(d.description().isBlank());
        }
    }
}
