package io.cyclefleet.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ParamsTest {

    private final ObjectMapper json = new ObjectMapper();

    @Test
    void durationsMustBePositiveIsoAndBelowTheLimit() throws Exception {
        Violations v = new Violations();
        assertEquals(Duration.ofMillis(1500), Params.duration(json.readTree("\"PT1.5S\""), "d", v, true, Duration.ofHours(1)));
        assertTrue(v.isEmpty());
        for (String bad : new String[] {"\"PT0S\"", "\"-PT1S\"", "\"PT2H\"", "\"1s\"", "5", "{}"}) {
            Violations w = new Violations();
            assertNull(Params.duration(json.readTree(bad), "d", w, true, Duration.ofHours(1)), bad);
            assertEquals("d", w.list().get(0).field(), bad);
        }
        Violations missing = new Violations();
        Params.duration(null, "d", missing, true, Duration.ofHours(1));
        assertEquals(1, missing.list().size());
    }

    @Test
    void diagnosticKindsRejectUnknownAndBadParams() throws Exception {
        Violations v = new Violations();
        new DiagnosticKinds.Fail().validateParams(json.readTree("{\"times\":2,\"extra\":true}"), "steps[0].params", v);
        assertEquals("steps[0].params.extra", v.list().get(0).field());
        Violations w = new Violations();
        new DiagnosticKinds.Sleep().validateParams(json.readTree("{\"duration\":\"PT1S\"}"), "p", w);
        assertTrue(w.isEmpty());
    }
}
