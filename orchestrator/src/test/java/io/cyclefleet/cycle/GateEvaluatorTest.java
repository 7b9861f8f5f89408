package io.cyclefleet.cycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GateEvaluatorTest {

    private final ObjectMapper json = new ObjectMapper();

    private GateEvaluator.Evaluation eval(String conditions, Map<String, GateEvaluator.Reported> upstream) throws Exception {
        JsonNode c = json.readTree(conditions);
        return GateEvaluator.evaluate(c, upstream);
    }

    @Test
    void everyConditionMustHoldAndEachFailureIsExplained() throws Exception {
        Map<String, GateEvaluator.Reported> up = Map.of(
                "assess", new GateEvaluator.Reported(Map.of("error_rate", 0.034), 9.0),
                "test", new GateEvaluator.Reported(Map.of("pass_rate", 1.0), 6.0));
        GateEvaluator.Evaluation e = eval("""
                [{"step":"assess","metric":"error_rate","op":"<=","threshold":0.01},
                 {"step":"test","metric":"pass_rate","op":">=","threshold":0.95},
                 {"aggregate":"averageScore","op":">=","threshold":8}]""", up);
        assertFalse(e.passed());
        assertEquals("fail", e.conditions().get(0).verdict());
        assertEquals("pass", e.conditions().get(1).verdict());
        assertEquals(7.5, e.conditions().get(2).observed());
        assertEquals("gate failed: assess.error_rate <= 0.01 (observed 0.034); averageScore(assess,test) >= 8 (observed 7.5)"
                .replace("averageScore(assess,test)", e.conditions().get(2).condition()), e.summary());
    }

    @Test
    void missingDataFailsRatherThanPasses() throws Exception {
        GateEvaluator.Evaluation e = eval("""
                [{"step":"assess","metric":"latency_p99_ms","op":"<","threshold":500},
                 {"aggregate":"averageScore","steps":["assess"],"op":">=","threshold":8}]""",
                Map.of("assess", new GateEvaluator.Reported(Map.of(), null)));
        assertFalse(e.passed());
        assertTrue(e.conditions().stream().allMatch(c -> "no_data".equals(c.verdict())));
        assertTrue(e.summary().contains("no data"));
    }

    @Test
    void scoreIsAddressableAsAMetricAndAllComparatorsWork() throws Exception {
        Map<String, GateEvaluator.Reported> up = Map.of("a", new GateEvaluator.Reported(Map.of("x", 5.0), 8.0));
        assertTrue(eval("[{\"step\":\"a\",\"metric\":\"score\",\"op\":\">=\",\"threshold\":8}]", up).passed());
        for (String[] c : new String[][] {{"<", "6", "true"}, {"<", "5", "false"}, {"<=", "5", "true"}, {">", "4", "true"},
                {">=", "5", "true"}, {"==", "5", "true"}, {"!=", "5", "false"}}) {
            assertEquals(Boolean.parseBoolean(c[2]), eval("[{\"step\":\"a\",\"metric\":\"x\",\"op\":\"" + c[0] + "\",\"threshold\":" + c[1] + "}]", up).passed(),
                    "5 " + c[0] + " " + c[1]);
        }
    }
}
