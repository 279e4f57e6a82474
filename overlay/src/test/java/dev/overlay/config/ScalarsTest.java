package dev.overlay.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.overlay.vtep.MacAddress;
import org.junit.jupiter.api.Test;

class ScalarsTest {

    @Test
    void macColonAndHyphenFormsParseToTheSameValue() {
        MacAddress a = Scalars.mac("02:00:00:00:0A:01");
        assertEquals(0x02_00_00_00_0a_01L, a.value());
        assertEquals(a, Scalars.mac("02-00-00-00-0a-01"));
        assertEquals("02:00:00:00:0a:01", a.toString());
        assertArrayEquals(new byte[] {2, 0, 0, 0, 0x0a, 1}, a.bytes());
    }

    @Test
    void macGroupBitMarksMulticast() {
        assertTrue(Scalars.mac("01:00:5e:00:00:01").isMulticast());
        assertTrue(Scalars.mac("ff:ff:ff:ff:ff:ff").isBroadcast());
        assertFalse(Scalars.mac("02:00:00:00:00:01").isMulticast());
    }

    @Test
    void malformedMacsAreRefusedWithAConfigSentence() {
        // Stricter than MacAddress.of: one separator throughout, ASCII hex digits only.
        for (String bad : new String[] {"02:00:00:00:0a", "02:00:00:00:0a:01:02", "02:00-00:00:0a:01", "2:0:0:0:a:1",
                "02:00:00:00:0g:01", "", "\u0660\u0662:00:00:00:0a:01"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Scalars.mac(bad), bad);
            assertEquals("'" + bad + "' is not a MAC address (expected six hex octets like 02:00:00:00:0a:01)",
                    e.getMessage());
        }
    }
}
