package io.cyclefleet.handler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cyclefleet.kinds.ReportKind;
import io.cyclefleet.task.Violations;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The report kind's params, as the orchestrator validates them at submission (the contract lives in shared-model). */
class ReportKindTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static List<String> problems(String params) throws Exception {
        Violations v = new Violations();
        new ReportKind().validateParams(params == null ? null : JSON.readTree(params), "steps[1].params", v);
        return v.list().stream().map(x -> x.field() + ": " + x.message()).toList();
    }

    @Test
    void noParamsOrATitleAreFine() throws Exception {
        assertEquals(List.of(), problems(null));
        assertEquals(List.of(), problems("{}"));
        assertEquals(List.of(), problems("{\"title\": \"Release 7 — checkout\"}"));
        assertEquals(List.of(), problems("{\"title\": \"" + "t".repeat(ReportKind.MAX_TITLE) + "\"}"));
    }

    @Test
    void unknownParamsAndBadTitlesAreRefusedNamingTheField() throws Exception {
        assertEquals(List.of("steps[1].params.format: unknown parameter; allowed: title"), problems("{\"format\": \"csv\"}"));
        assertEquals(List.of("steps[1].params.title: must be a string of 1..200 characters"),
                problems("{\"title\": \"" + "t".repeat(ReportKind.MAX_TITLE + 1) + "\"}"));
        assertEquals(List.of("steps[1].params.title: must be a string of 1..200 characters"), problems("{\"title\": 7}"));
        assertEquals(List.of("steps[1].params.title: must be a string of 1..200 characters"), problems("{\"title\": \"\"}"));
        assertEquals(List.of("steps[1].params.title: must be one line without control characters"), problems("{\"title\": \"a\\nb\"}"));
    }
}
