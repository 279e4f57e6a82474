package dev.overlay.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class EthernetAddressTest {

    @Test
    void parsesColonAndHyphenFormsToTheSameValue() {
        EthernetAddress a = EthernetAddress.parse("02:00:00:00:0A:01");
        assertEquals(0x02_00_00_00_0a_01L, a.value());
        assertEquals(a, EthernetAddress.parse("02-00-00-00-0a-01"));
        assertEquals("02:00:00:00:0a:01", a.toString());
        assertArrayEquals(new byte[] {2, 0, 0, 0, 0x0a, 1}, a.toBytes());
    }

    @Test
    void groupBitMarksMulticast() {
        assertTrue(EthernetAddress.parse("01:00:5e:00:00:01").isMulticast());
        assertTrue(EthernetAddress.parse("ff:ff:ff:ff:ff:ff").isBroadcast());
        assertFalse(EthernetAddress.parse("02:00:00:00:00:01").isMulticast());
    }

    @Test
    void malformedAddressesAreRefused() {
        for (String bad : new String[] {"02:00:00:00:0a", "02:00:00:00:0a:01:02", "02:00-00:00:0a:01", "2:0:0:0:a:1",
                "02:00:00:00:0g:01", ""}) {
            assertThrows(IllegalArgumentException.class, () -> EthernetAddress.parse(bad), bad);
        }
    }

    @Test
    void didYouMeanCountsTranspositionsAsOneEdit() {
        assertEquals(1, DidYouMean.distance("bleu", "blue"));
        assertEquals(" (did you mean 'vni'?)", DidYouMean.suggest("vnii", java.util.List.of("vni", "vlan", "peers")));
        assertEquals("", DidYouMean.suggest("mac", java.util.List.of("vni", "vlan", "peers")));
    }
}
