package io.cyclefleet.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class DiagnosticKindsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theHangKindIsRefusedUnlessEnabledAndValidatedWhenItIs() throws Exception {
        var params = JSON.readTree("{\"duration\": \"PT5S\", \"times\": 1}");
        Violations off = new Violations();
        new DiagnosticKinds.Hang(false).validateParams(params, "steps[0].params", off);
        assertEquals(1, off.list().size());
        assertTrue(off.list().get(0).toString().contains("cyclefleet.diagnostics.hang-enabled"), off.list().toString());

        Violations on = new Violations();
        new DiagnosticKinds.Hang(true).validateParams(params, "steps[0].params", on);
        assertTrue(on.isEmpty(), on.list().toString());
        new DiagnosticKinds.Hang(true).validateParams(JSON.readTree("{\"duration\": \"PT2H\"}"), "steps[0].params", on);
        assertEquals(1, on.list().size(), "bounded like sleep: " + on.list());
    }
}
