package io.cyclefleet.cycle;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cyclefleet.support.Db;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Invariant 6: every malformed spec gets a 4xx whose body names the field at fault, never a 5xx, and
 * nothing is written.
 */
@QuarkusTest
class MalformedSpecTest {

    private static final String OK_STEP = "{\"key\":\"a\",\"kind\":\"noop\"}";

    static String spec(String steps) {
        return "{\"name\":\"bad\",\"steps\":[" + steps + "]}";
    }

    static String step(String extra) {
        return "{\"key\":\"a\",\"kind\":\"noop\"" + extra + "}";
    }

    static String sleep(String params) {
        return spec("{\"key\":\"a\",\"kind\":\"sleep\",\"params\":" + params + "}");
    }

    static String failKind(String params) {
        return spec("{\"key\":\"a\",\"kind\":\"fail\",\"params\":" + params + "}");
    }

    static String gated(String conditions) {
        return "{\"name\":\"x\",\"steps\":[" + OK_STEP + "],\"gates\":[{\"key\":\"g\",\"dependsOn\":[\"a\"],\"conditions\":" + conditions + "}]}";
    }

    static String rolledBack(String rollback) {
        return "{\"name\":\"x\",\"steps\":[" + OK_STEP + "],\"rollback\":{" + rollback + "}}";
    }

    static String iterated(String iterate) {
        return "{\"name\":\"x\",\"steps\":[" + OK_STEP + "],\"iterate\":" + iterate + "}";
    }

    static Stream<Arguments> malformed() {
        String manySteps = IntStream.range(0, 2001).mapToObj(i -> "{\"key\":\"s" + i + "\",\"kind\":\"noop\"}").collect(Collectors.joining(","));
        String bigParam = "x".repeat(17_000);
        return Stream.of(
                Arguments.of("empty body", "", "$"),
                Arguments.of("not JSON", "not json", "$"),
                Arguments.of("truncated JSON", "{\"name\":\"x\",\"steps\":[", "$"),
                Arguments.of("array instead of object", "[]", "$"),
                Arguments.of("JSON null", "null", "$"),
                Arguments.of("empty object", "{}", "name"),
                Arguments.of("no steps", "{\"name\":\"x\"}", "steps"),
                Arguments.of("empty steps", "{\"name\":\"x\",\"steps\":[]}", "steps"),
                Arguments.of("blank name", "{\"name\":\"  \",\"steps\":[" + OK_STEP + "]}", "name"),
                Arguments.of("name too long", "{\"name\":\"" + "n".repeat(201) + "\",\"steps\":[" + OK_STEP + "]}", "name"),
                Arguments.of("name is a number", "{\"name\":5,\"steps\":[" + OK_STEP + "]}", "name"),
                Arguments.of("steps is an object", "{\"name\":\"x\",\"steps\":{}}", "steps"),
                Arguments.of("step is null", spec("null"), "steps[0]"),
                Arguments.of("step is a string", spec("\"a\""), "steps[0]"),
                Arguments.of("key missing", spec("{\"kind\":\"noop\"}"), "steps[0].key"),
                Arguments.of("key with a space", spec("{\"key\":\"a b\",\"kind\":\"noop\"}"), "steps[0].key"),
                Arguments.of("key too long", spec("{\"key\":\"" + "k".repeat(65) + "\",\"kind\":\"noop\"}"), "steps[0].key"),
                Arguments.of("duplicate key", spec(OK_STEP + "," + OK_STEP), "steps[1].key"),
                Arguments.of("kind missing", spec("{\"key\":\"a\"}"), "steps[0].kind"),
                Arguments.of("unknown kind", spec("{\"key\":\"a\",\"kind\":\"rm-rf\"}"), "steps[0].kind"),
                Arguments.of("kind is a number", spec("{\"key\":\"a\",\"kind\":3}"), "steps[0].kind"),
                Arguments.of("unknown dependency", spec(OK_STEP + ",{\"key\":\"b\",\"kind\":\"noop\",\"dependsOn\":[\"zz\"]}"), "steps[1].dependsOn[0]"),
                Arguments.of("self dependency", spec(step(",\"dependsOn\":[\"a\"]")), "steps[0].dependsOn[0]"),
                Arguments.of("duplicate dependency", spec(OK_STEP + ",{\"key\":\"b\",\"kind\":\"noop\",\"dependsOn\":[\"a\",\"a\"]}"), "steps[1].dependsOn[1]"),
                Arguments.of("two-step cycle", spec("{\"key\":\"a\",\"kind\":\"noop\",\"dependsOn\":[\"b\"]},{\"key\":\"b\",\"kind\":\"noop\",\"dependsOn\":[\"a\"]}"), "steps[0].dependsOn"),
                Arguments.of("three-step cycle", spec("{\"key\":\"r\",\"kind\":\"noop\"},{\"key\":\"a\",\"kind\":\"noop\",\"dependsOn\":[\"r\",\"c\"]},{\"key\":\"b\",\"kind\":\"noop\",\"dependsOn\":[\"a\"]},{\"key\":\"c\",\"kind\":\"noop\",\"dependsOn\":[\"b\"]}"), "steps[1].dependsOn"),
                Arguments.of("dependsOn is a string", spec(step(",\"dependsOn\":\"b\"")), "steps[0].dependsOn"),
                Arguments.of("dependsOn holds a number", spec(step(",\"dependsOn\":[1]")), "steps[0].dependsOn[0]"),
                Arguments.of("params is an array", spec(step(",\"params\":[]")), "steps[0].params"),
                Arguments.of("params is a string", spec(step(",\"params\":\"x\"")), "steps[0].params"),
                Arguments.of("noop with a param", spec(step(",\"params\":{\"x\":1}")), "steps[0].params.x"),
                Arguments.of("params too large", spec("{\"key\":\"a\",\"kind\":\"sleep\",\"params\":{\"duration\":\"PT1S\",\"pad\":\"" + bigParam + "\"}}"), "steps[0].params"),
                Arguments.of("sleep without duration", sleep("{}"), "steps[0].params.duration"),
                Arguments.of("sleep negative duration", sleep("{\"duration\":\"PT-1S\"}"), "steps[0].params.duration"),
                Arguments.of("sleep zero duration", sleep("{\"duration\":\"PT0S\"}"), "steps[0].params.duration"),
                Arguments.of("sleep duration not ISO", sleep("{\"duration\":\"soon\"}"), "steps[0].params.duration"),
                Arguments.of("sleep duration a number", sleep("{\"duration\":5}"), "steps[0].params.duration"),
                Arguments.of("sleep duration too long", sleep("{\"duration\":\"PT2H\"}"), "steps[0].params.duration"),
                Arguments.of("fail without times", failKind("{}"), "steps[0].params.times"),
                Arguments.of("fail negative times", failKind("{\"times\":-1}"), "steps[0].params.times"),
                Arguments.of("fail times a string", failKind("{\"times\":\"1\"}"), "steps[0].params.times"),
                Arguments.of("fail times huge", failKind("{\"times\":1000}"), "steps[0].params.times"),
                Arguments.of("unknown top-level field", "{\"name\":\"x\",\"steps\":[" + OK_STEP + "],\"foo\":1}", "foo"),
                Arguments.of("unknown step field", spec(step(",\"command\":\"rm -rf /\"")), "steps[0].command"),
                Arguments.of("maxAttempts zero", spec(step(",\"retry\":{\"maxAttempts\":0}")), "steps[0].retry.maxAttempts"),
                Arguments.of("maxAttempts too many", spec(step(",\"retry\":{\"maxAttempts\":26}")), "steps[0].retry.maxAttempts"),
                Arguments.of("maxAttempts fractional", spec(step(",\"retry\":{\"maxAttempts\":2.5}")), "steps[0].retry.maxAttempts"),
                Arguments.of("maxAttempts a string", spec(step(",\"retry\":{\"maxAttempts\":\"3\"}")), "steps[0].retry.maxAttempts"),
                Arguments.of("backoff zero", spec(step(",\"retry\":{\"backoff\":\"PT0S\"}")), "steps[0].retry.backoff"),
                Arguments.of("backoff not ISO", spec(step(",\"retry\":{\"backoff\":\"1s\"}")), "steps[0].retry.backoff"),
                Arguments.of("maxBackoff below backoff", spec(step(",\"retry\":{\"backoff\":\"PT10S\",\"maxBackoff\":\"PT1S\"}")), "steps[0].retry.maxBackoff"),
                Arguments.of("unknown retry field", spec(step(",\"retry\":{\"forever\":true}")), "steps[0].retry.forever"),
                Arguments.of("retry is a number", spec(step(",\"retry\":3")), "steps[0].retry"),
                Arguments.of("timeout zero", spec(step(",\"timeout\":\"PT0S\"")), "steps[0].timeout"),
                Arguments.of("timeout negative", spec(step(",\"timeout\":\"-PT1S\"")), "steps[0].timeout"),
                Arguments.of("timeout too long", spec(step(",\"timeout\":\"PT48H\"")), "steps[0].timeout"),
                Arguments.of("timeout garbage", spec(step(",\"timeout\":\"forever\"")), "steps[0].timeout"),
                Arguments.of("queue with uppercase and space", spec(step(",\"queue\":\"Bad Queue\"")), "steps[0].queue"),
                Arguments.of("queue too long", spec(step(",\"queue\":\"" + "q".repeat(65) + "\"")), "steps[0].queue"),
                Arguments.of("unknown priority", spec(step(",\"priority\":\"urgent\"")), "steps[0].priority"),
                Arguments.of("priority a number", spec(step(",\"priority\":1")), "steps[0].priority"),
                Arguments.of("too many steps", spec(manySteps), "steps"),
                Arguments.of("metric score above 10", spec("{\"key\":\"a\",\"kind\":\"metric\",\"params\":{\"score\":11}}"), "steps[0].params.score"),
                Arguments.of("metric value not a number", spec("{\"key\":\"a\",\"kind\":\"metric\",\"params\":{\"metrics\":{\"rate\":\"high\"}}}"), "steps[0].params.metrics.rate"),
                Arguments.of("metric name invalid", spec("{\"key\":\"a\",\"kind\":\"metric\",\"params\":{\"metrics\":{\"9 lives\":1}}}"), "steps[0].params.metrics.9 lives"),
                Arguments.of("metrics not an object", spec("{\"key\":\"a\",\"kind\":\"metric\",\"params\":{\"metrics\":[1]}}"), "steps[0].params.metrics"),
                Arguments.of("gate without conditions", gated("[]"), "gates[0].conditions"),
                Arguments.of("gate condition on a step it does not depend on", gated("[{\"step\":\"zz\",\"metric\":\"x\",\"op\":\"<\",\"threshold\":1}]"), "gates[0].conditions[0].step"),
                Arguments.of("gate condition with a bad comparator", gated("[{\"step\":\"a\",\"metric\":\"x\",\"op\":\"=~\",\"threshold\":1}]"), "gates[0].conditions[0].op"),
                Arguments.of("gate condition without threshold", gated("[{\"step\":\"a\",\"metric\":\"x\",\"op\":\"<\"}]"), "gates[0].conditions[0].threshold"),
                Arguments.of("gate with an unknown aggregate", gated("[{\"aggregate\":\"median\",\"op\":\">=\",\"threshold\":8}]"), "gates[0].conditions[0].aggregate"),
                Arguments.of("gate condition with free-form code", gated("[{\"expr\":\"System.exit(0)\",\"op\":\"<\",\"threshold\":1}]"), "gates[0].conditions[0].expr"),
                Arguments.of("gate key clashing with a step", "{\"name\":\"x\",\"steps\":[" + OK_STEP + "],\"gates\":[{\"key\":\"a\",\"dependsOn\":[\"a\"],\"conditions\":[{\"step\":\"a\",\"metric\":\"x\",\"op\":\"<\",\"threshold\":1}]}]}", "gates[0].key"),
                Arguments.of("gate without dependencies", "{\"name\":\"x\",\"steps\":[" + OK_STEP + "],\"gates\":[{\"key\":\"g\",\"conditions\":[{\"aggregate\":\"averageScore\",\"op\":\">=\",\"threshold\":8}]}]}", "gates[0].dependsOn"),
                Arguments.of("a step kind named gate", spec("{\"key\":\"a\",\"kind\":\"gate\"}"), "steps[0].kind"),
                Arguments.of("unknown template", "{\"template\":\"yolo\",\"name\":\"x\"}", "template"),
                Arguments.of("template override with an unknown kind", "{\"template\":\"standard\",\"name\":\"x\",\"steps\":[{\"key\":\"assess\",\"kind\":\"rm-rf\"}]}", "steps[0].kind"),
                Arguments.of("template without a name or target of its own", "{\"template\":\"standard\"}", "target"),
                Arguments.of("blank target", "{\"name\":\"x\",\"target\":\" \",\"steps\":[" + OK_STEP + "]}", "target"),
                Arguments.of("unknown risk", spec(step(",\"risk\":\"yolo\"")), "steps[0].risk"),
                Arguments.of("unknown maxAutoRisk", "{\"name\":\"x\",\"maxAutoRisk\":\"none\",\"steps\":[" + OK_STEP + "]}", "maxAutoRisk"),
                Arguments.of("rollback without triggers", rolledBack("\"steps\":[{\"key\":\"r\",\"kind\":\"noop\"}]"), "rollback.triggers"),
                Arguments.of("rollback without steps", rolledBack("\"triggers\":[\"a\"]"), "rollback.steps"),
                Arguments.of("rollback trigger that is not a main step", rolledBack("\"triggers\":[\"r\"],\"steps\":[{\"key\":\"r\",\"kind\":\"noop\"}]"), "rollback.triggers[0]"),
                Arguments.of("rollback step depending on the main DAG", rolledBack("\"triggers\":[\"a\"],\"steps\":[{\"key\":\"r\",\"kind\":\"noop\",\"dependsOn\":[\"a\"]}]"), "rollback.steps[0].dependsOn[0]"),
                Arguments.of("rollback step reusing a main key", rolledBack("\"triggers\":[\"a\"],\"steps\":[{\"key\":\"a\",\"kind\":\"noop\"}]"), "rollback.steps[0].key"),
                Arguments.of("main step depending on the rollback branch", "{\"name\":\"x\",\"steps\":[" + OK_STEP + ",{\"key\":\"b\",\"kind\":\"noop\",\"dependsOn\":[\"r\"]}],"
                        + "\"rollback\":{\"triggers\":[\"a\"],\"steps\":[{\"key\":\"r\",\"kind\":\"noop\"}]}}", "steps[1].dependsOn[0]"),
                Arguments.of("iterate goal above 10", iterated("{\"untilScore\":11,\"maxIterations\":3}"), "iterate.untilScore"),
                Arguments.of("iterate without a goal", iterated("{\"maxIterations\":3}"), "iterate.untilScore"),
                Arguments.of("iterate zero times", iterated("{\"untilScore\":8,\"maxIterations\":0}"), "iterate.maxIterations"),
                Arguments.of("iterate beyond the limit", iterated("{\"untilScore\":8,\"maxIterations\":21}"), "iterate.maxIterations"),
                Arguments.of("iterate with a bad delay", iterated("{\"untilScore\":8,\"maxIterations\":2,\"delay\":\"10 minutes\"}"), "iterate.delay"),
                Arguments.of("deadline not a duration", "{\"name\":\"x\",\"deadline\":\"soon\",\"steps\":[" + OK_STEP + "]}", "deadline"),
                Arguments.of("deadline beyond a week", "{\"name\":\"x\",\"deadline\":\"P30D\",\"steps\":[" + OK_STEP + "]}", "deadline"),
                Arguments.of("rollbackDeadline not a duration", "{\"name\":\"x\",\"rollbackDeadline\":\"later\",\"steps\":[" + OK_STEP + "]}",
                        "rollbackDeadline"),
                Arguments.of("rollbackDeadline beyond a week", "{\"name\":\"x\",\"rollbackDeadline\":\"P8D\",\"steps\":[" + OK_STEP + "]}",
                        "rollbackDeadline"),
                Arguments.of("onTargetBusy unknown", "{\"name\":\"x\",\"onTargetBusy\":\"queue\",\"steps\":[" + OK_STEP + "]}", "onTargetBusy"),
                Arguments.of("incidentOnFailure not a boolean", "{\"name\":\"x\",\"incidentOnFailure\":\"yes\",\"steps\":[" + OK_STEP + "]}",
                        "incidentOnFailure"),
                Arguments.of("trailing garbage", "{\"name\":\"x\",\"steps\":[" + OK_STEP + "]} xyz", "$"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void rejectedWith400NamingTheField(String description, String body, String field) {
        long before = Db.count("select count(*) from cycle");
        Response r = given().contentType("application/json").body(body).post("/api/v1/cycles");
        assertEquals(400, r.statusCode(), description + ": " + r.asString());
        List<String> fields = r.jsonPath().getList("violations.field");
        assertTrue(fields.contains(field), description + ": expected a violation on '" + field + "', got " + r.asString());
        assertTrue(r.jsonPath().getString("message").length() > 5, description);
        assertEquals(before, Db.count("select count(*) from cycle"), description + ": nothing may be written");
    }

    @org.junit.jupiter.api.Test
    void wrongContentTypeIs415() {
        given().contentType("text/plain").body(spec(OK_STEP)).post("/api/v1/cycles").then().statusCode(415);
    }

    @org.junit.jupiter.api.Test
    void bodyOverOneMegabyteIs413() {
        String huge = "{\"name\":\"" + "x".repeat(1_100_000) + "\",\"steps\":[]}";
        given().contentType("application/json").body(huge).post("/api/v1/cycles").then().statusCode(413);
    }

    @org.junit.jupiter.api.Test
    void oversizedIdempotencyKeyIs400() {
        Response r = given().contentType("application/json").header("Idempotency-Key", "k".repeat(300))
                .body(spec(OK_STEP)).post("/api/v1/cycles");
        assertEquals(400, r.statusCode());
        assertTrue(r.jsonPath().getList("violations.field").contains("Idempotency-Key"), r.asString());
    }

    @org.junit.jupiter.api.Test
    void malformedIdsAndQueryParametersAre400() {
        given().get("/api/v1/cycles/not-a-uuid").then().statusCode(400);
        given().post("/api/v1/cycles/not-a-uuid/cancel").then().statusCode(400);
        given().get("/api/v1/cycles?limit=0").then().statusCode(400);
        given().get("/api/v1/cycles?limit=abc").then().statusCode(400);
        given().get("/api/v1/cycles?status=BOGUS").then().statusCode(400);
        given().get("/api/v1/cycles?after=xyz").then().statusCode(400);
    }
}
