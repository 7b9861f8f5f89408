package io.cyclefleet.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/** What the filter does to the framework meters that made promtool complain (MetricsTest lints the real output). */
class PrometheusConventionsTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    PrometheusConventionsTest() {
        registry.config().meterFilter(new PrometheusConventions().lintClean());
    }

    @Test
    void namesAndLabelsBecomeSnakeCase() {
        Counter.builder("ft.timeout.executionDuration").tag("retryResult", "x").register(registry);
        Meter m = registry.find("ft.timeout.execution_duration").meter();
        assertNotNull(m, "renamed");
        assertEquals("x", m.getId().getTag("retry_result"));
    }

    @Test
    void helpTextExistsAndHasNoDoubleQuote() {
        Counter.builder("a.b").description("the \"cpu time\" used").register(registry);
        Counter.builder("c.d").register(registry);
        assertEquals("the 'cpu time' used", registry.find("a.b").meter().getId().getDescription());
        assertEquals("c d", registry.find("c.d").meter().getId().getDescription());
    }

    @Test
    void longTaskTimersAndTheNanosecondCpuCounterAreDroppedAndTheCpuCountRenamed() {
        LongTaskTimer.builder("http.server.connections").register(registry);
        Counter.builder("process.cpu.time").register(registry);
        Counter.builder("system.cpu.count").register(registry);
        assertNull(registry.find("http.server.connections").meter());
        assertNull(registry.find("process.cpu.time").meter());
        assertNotNull(registry.find("system.cpu.processors").meter());
    }
}
