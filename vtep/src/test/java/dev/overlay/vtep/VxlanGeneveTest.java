package dev.overlay.vtep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class VxlanGeneveTest {
    private static ByteBuf header(String hex) {
        return io.netty.buffer.Unpooled.wrappedBuffer(java.util.HexFormat.of().parseHex(hex));
    }

    @Test
    void vxlanWithoutTheIFlagIsDroppedAndReservedBitsAreIgnored() {
        assertEquals(VtepDrop.VXLAN_NO_I_FLAG, Vxlan.check(header("0000000000002a00"), 0, 8));
        ByteBuf gbp = header("88ffffff00002aff"); // reserved bits set (as GBP does): still valid
        assertNull(Vxlan.check(gbp, 0, 8));
        assertEquals(42, Vxlan.vni(gbp, 0));
    }

    @Test
    void geneveOtherVersionsAreDropped() {
        assertEquals(VtepDrop.GENEVE_BAD_VERSION,
                Geneve.check(header("4000655800000b00"), 0, 8, Geneve.OptionFilter.NONE));
    }

    @Test
    void geneveOptionLengthBeyondThePacketIsDropped() {
        assertEquals(VtepDrop.GENEVE_BAD_OPTION_LENGTH,
                Geneve.check(header("0100655800000b00"), 0, 8, Geneve.OptionFilter.NONE));
    }

    @Test
    void geneveInnerIpv4IsABadProtocol() {
        assertEquals(VtepDrop.GENEVE_BAD_PROTOCOL,
                Geneve.check(header("0000080000000b00"), 0, 8, Geneve.OptionFilter.NONE));
    }

    @Test
    void geneveCriticalOptionIsDroppedUnlessKnown() {
        ByteBuf b = header("0240655800000a00000080010000000c");
        assertEquals(VtepDrop.GENEVE_CRITICAL_OPTION, Geneve.check(b, 0, 16,
                Geneve.OptionFilter.NONE));
        assertNull(Geneve.check(b, 0, 16, (c, t) -> c == 0 && t == 0x80));
    }

    @Test
    void encoderSetsTheCriticalBitAndOam() {
        GeneveOptions opts = GeneveOptions.of(List.of(new GeneveOption(0, 0x80, new byte[4])));
        ByteBuf b = TestPackets.withHeadroom(new byte[0]);
        Geneve.prepend(b, 10, opts, true);
        assertEquals("02c0655800000a000000800100000000", ByteBufUtil.hexDump(b));
        assertTrue(Geneve.oam(b, b.readerIndex()));
        b.release();
    }

    @Test
    void optionBlocksAreBoundedAndValidated() {
        assertThrows(IllegalArgumentException.class, () -> new GeneveOption(0, 1, new byte[3]));
        assertThrows(IllegalArgumentException.class, () -> new GeneveOption(0, 1, new byte[128]));
        assertThrows(IllegalArgumentException.class, () -> new GeneveOption(0x10000, 1, new byte[0]));
        List<GeneveOption> full = new ArrayList<>(Collections.nCopies(2,
                new GeneveOption(1, 2, new byte[120])));
        full.add(new GeneveOption(1, 2, new byte[0]));
        assertEquals(252, GeneveOptions.of(full).length());
        full.add(new GeneveOption(1, 2, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> GeneveOptions.of(full));
    }

    @Test
    void vniAndHeadroomAreChecked() {
        ByteBuf b = TestPackets.withHeadroom(new byte[0]);
        assertThrows(IllegalArgumentException.class, () -> Vxlan.prepend(b, 1 << 24));
        b.readerIndex(4);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Vxlan.prepend(b, 1));
        assertEquals("vxlan headroom: 4 (expected: >= 8)", e.getMessage());
        b.release();
    }
}
