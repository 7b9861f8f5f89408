package io.cyclefleet.handler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cyclefleet.kinds.TestingKind;
import io.cyclefleet.task.Violations;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The testing kind's contract (shared-model), as the orchestrator applies it at submission. */
class TestingKindTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHECK = "{\"name\":\"health\",\"url\":\"http://svc:8080/q/health\"}";

    private static List<Violations.Violation> validate(String params) throws Exception {
        Violations v = new Violations();
        new TestingKind().validateParams(params == null ? null : JSON.readTree(params), "steps[1].params", v);
        return v.list();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"suite\":\"unit\"}",
            "{\"suite\":\"unit-tests.v2\",\"args\":{\"pattern\":\"Checkout*Test\",\"profile\":\"\"}}",
            "{\"smoke\":[" + CHECK + "]}",
            "{\"smoke\":[" + CHECK + ",{\"name\":\"home\",\"url\":\"https://svc/\",\"expectStatus\":302,\"maxLatency\":\"PT0.5S\"}],\"minPassRate\":0.5}",
            "{\"smoke\":[" + CHECK + "],\"minPassRate\":0}"})
    void goodParamsPass(String params) throws Exception {
        assertEquals(List.of(), validate(params));
    }

    static Stream<Arguments> badParams() {
        String manyArgs = IntStream.range(0, 21).mapToObj(i -> "\"a" + i + "\":\"x\"").collect(Collectors.joining(",", "{", "}"));
        String manyChecks = IntStream.range(0, 51).mapToObj(i -> "{\"name\":\"c" + i + "\",\"url\":\"http://svc/\"}")
                .collect(Collectors.joining(",", "[", "]"));
        return Stream.of(
                Arguments.of("no params", null, "steps[1].params"),
                Arguments.of("neither suite nor smoke", "{}", "steps[1].params"),
                Arguments.of("both suite and smoke", "{\"suite\":\"unit\",\"smoke\":[" + CHECK + "]}", "steps[1].params"),
                Arguments.of("a command in the spec", "{\"suite\":\"unit\",\"command\":\"rm -rf /\"}", "steps[1].params.command"),
                Arguments.of("a suite name with a path", "{\"suite\":\"../bin/sh\"}", "steps[1].params.suite"),
                Arguments.of("a suite name that is not a string", "{\"suite\":7}", "steps[1].params.suite"),
                Arguments.of("args that are not an object", "{\"suite\":\"unit\",\"args\":[\"-x\"]}", "steps[1].params.args"),
                Arguments.of("an arg that is not a string", "{\"suite\":\"unit\",\"args\":{\"pattern\":3}}", "steps[1].params.args.pattern"),
                Arguments.of("an arg value too long", "{\"suite\":\"unit\",\"args\":{\"pattern\":\"" + "x".repeat(257) + "\"}}",
                        "steps[1].params.args.pattern"),
                Arguments.of("an arg name that cannot be a placeholder", "{\"suite\":\"unit\",\"args\":{\"a b\":\"x\"}}", "steps[1].params.args.a b"),
                Arguments.of("too many args", "{\"suite\":\"unit\",\"args\":" + manyArgs + "}", "steps[1].params.args"),
                Arguments.of("args with smoke", "{\"smoke\":[" + CHECK + "],\"args\":{}}", "steps[1].params.args"),
                Arguments.of("an empty smoke suite", "{\"smoke\":[]}", "steps[1].params.smoke"),
                Arguments.of("too many checks", "{\"smoke\":" + manyChecks + "}", "steps[1].params.smoke"),
                Arguments.of("a check with a bad URL", "{\"smoke\":[" + CHECK + ",{\"name\":\"x\",\"url\":\"file:///etc/passwd\"}]}",
                        "steps[1].params.smoke[1].url"),
                Arguments.of("a check with a bad status", "{\"smoke\":[{\"name\":\"x\",\"url\":\"http://svc/\",\"expectStatus\":99}]}",
                        "steps[1].params.smoke[0].expectStatus"),
                Arguments.of("a check that is not an object", "{\"smoke\":[\"http://svc/\"]}", "steps[1].params.smoke[0]"),
                Arguments.of("two checks of one name", "{\"smoke\":[" + CHECK + "," + CHECK + "]}", "steps[1].params.smoke[1].name"),
                Arguments.of("minPassRate 2", "{\"smoke\":[" + CHECK + "],\"minPassRate\":2}", "steps[1].params.minPassRate"),
                Arguments.of("minPassRate as text", "{\"smoke\":[" + CHECK + "],\"minPassRate\":\"all\"}", "steps[1].params.minPassRate"),
                Arguments.of("minPassRate with a suite", "{\"suite\":\"unit\",\"minPassRate\":1}", "steps[1].params.minPassRate"),
                Arguments.of("params that are not an object", "[\"unit\"]", "steps[1].params"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badParams")
    void badParamsAreNamedByTheirPath(String what, String params, String path) throws Exception {
        List<Violations.Violation> v = validate(params);
        assertEquals(List.of(path), v.stream().map(Violations.Violation::field).distinct().toList(), what + ": " + v);
    }

    @org.junit.jupiter.api.Test
    void everyProblemIsReportedAtOnce() throws Exception {
        List<Violations.Violation> v = validate("{\"smoke\":[{\"name\":\"x\",\"url\":\"ftp://svc\",\"expectStatus\":700}],\"minPassRate\":-1,\"extra\":1}");
        List<String> fields = v.stream().map(Violations.Violation::field).toList();
        assertTrue(fields.containsAll(List.of("steps[1].params.extra", "steps[1].params.smoke[0].url", "steps[1].params.smoke[0].expectStatus",
                "steps[1].params.minPassRate")), fields.toString());
    }
}
