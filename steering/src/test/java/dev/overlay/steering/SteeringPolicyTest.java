package dev.overlay.steering;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class SteeringPolicyTest {

    @Test
    void configNamesMapBothWays() {
        for (SteeringPolicy p : SteeringPolicy.values()) {
            assertEquals(p, SteeringPolicy.of(p.configName()));
        }
        assertEquals(SteeringPolicy.RFS, SteeringPolicy.of("RFS"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SteeringPolicy.of("rss"));
        assertEquals("steering: rss (expected: spi, flow or rfs)", e.getMessage());
    }

    @Test
    void receiveDispatchOfEachPolicy() {
        assertInstanceOf(SpiDispatcher.class, Dispatcher.of(SteeringPolicy.SPI, 2));
        assertInstanceOf(SpiDispatcher.class, Dispatcher.of(SteeringPolicy.RFS, 2));
        assertInstanceOf(FlowDispatcher.class, Dispatcher.of(SteeringPolicy.FLOW, 2));
        assertEquals(2, Dispatcher.of(SteeringPolicy.FLOW, 2).workers());
    }

    @Test
    void everyDropReasonHasANameAndADescription() {
        assertEquals("congestion", SteeringDrop.CONGESTION.counterName());
        for (SteeringDrop d : SteeringDrop.values()) {
            assertEquals(d.name().toLowerCase().replace('_', '-'), d.counterName());
            assertEquals(false, d.description().isBlank());
        }
    }
}
