package dev.overlay.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class DidYouMeanTest {

    @Test
    void didYouMeanCountsTranspositionsAsOneEdit() {
        assertEquals(1, DidYouMean.distance("bleu", "blue"));
        assertEquals(" (did you mean 'vni'?)", DidYouMean.suggest("vnii", List.of("vni", "vlan", "peers")));
        assertEquals("", DidYouMean.suggest("mac", List.of("vni", "vlan", "peers")));
    }
}
