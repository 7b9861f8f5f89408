package io.cyclefleet.fleet;

import static io.cyclefleet.support.Cycles.awaitEnd;
import static io.cyclefleet.support.Cycles.step;
import static io.cyclefleet.support.Cycles.submit;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cyclefleet.support.Db;
import io.cyclefleet.support.TestTokens;
import io.cyclefleet.support.WorkerProcess;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.path.json.config.JsonPathConfig;
import io.restassured.response.Response;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The report kind end to end: a real worker runs {@code assess (metric) → gate → report}, the report step stores the
 * report in three formats, and {@code GET /api/v1/cycles/{id}/report} serves each of them.
 */
@QuarkusTest
class ReportTest {

    private static final Duration MAX = Duration.ofSeconds(60);

    private static String contentType(Response r) {
        return r.getHeader("Content-Type").toLowerCase(Locale.ROOT).replace(" ", "");
    }

    @Test
    void theReportStepStoresMarkdownJsonAndCsvServedByFormatAndAccept() throws Exception {
        UUID id;
        JsonPath c;
        try (WorkerProcess worker = WorkerProcess.builder("report-a").start()) {
            id = submit(Map.of("name", "report e2e", "target", "checkout",
                    "steps", List.of(
                            step("assess", "metric", Map.of("metrics", Map.of("error_rate", 0.004, "latency_p95_ms", 120), "score", 9)),
                            step("report", "report", Map.of("title", "Checkout | release 7"), "ready")),
                    "gates", List.of(Map.of("key", "ready", "dependsOn", List.of("assess"), "conditions",
                            List.of(Map.of("step", "assess", "metric", "error_rate", "op", "<=", "threshold", 0.01))))));
            c = awaitEnd(id, MAX);
        }
        assertEquals("SUCCEEDED", c.getString("status"), c.prettify());
        String path = "/api/v1/cycles/" + id + "/report";
        assertEquals(path, c.getString("tasks.find { it.key == 'report' }.result.report"));
        assertEquals(3.0, c.getDouble("tasks.find { it.key == 'report' }.metrics.steps"), "assess, the gate and the report");
        assertEquals(0.0, c.getDouble("tasks.find { it.key == 'report' }.metrics.failed_steps"));
        assertEquals(2.0, c.getDouble("tasks.find { it.key == 'report' }.metrics.metrics"));
        assertNull(c.get("tasks.find { it.key == 'report' }.score"));
        long reportTask = c.getLong("tasks.find { it.key == 'report' }.id");
        assertEquals(3, Db.count("select count(*) from cycle_report where cycle_id = ? and task_id = ?", id, reportTask));

        // CSV: one row per (step, metric) and a score row, CRLF line ends
        String csv = "step,kind,status,metric,value\r\n"
                + "assess,metric,SUCCEEDED,error_rate,0.004\r\n"
                + "assess,metric,SUCCEEDED,latency_p95_ms,120\r\n"
                + "assess,metric,SUCCEEDED,score,9\r\n";
        Response r = given().queryParam("format", "csv").get(path);
        assertEquals(200, r.statusCode(), r.asString());
        assertEquals("text/csv;charset=utf-8", contentType(r));
        assertEquals(csv, r.asString());

        // Markdown: the default
        r = given().get(path);
        assertEquals(200, r.statusCode(), r.asString());
        assertEquals("text/markdown;charset=utf-8", contentType(r));
        String md = r.asString();
        assertTrue(md.startsWith("# Checkout | release 7\n"), md);
        for (String expected : List.of(
                "| Cycle id | " + id + " |",
                "| Target | checkout |",
                "| Status at report time | RUNNING |",
                "| Average score | 9 (over 1 scored step) |",
                "| assess | metric | main | SUCCEEDED | 1/3 | ",
                "| report | report | main | RUNNING | 1/3 | running |",
                "### assess (metric, SUCCEEDED)",
                "| error_rate | 0.004 |",
                "| latency_p95_ms | 120 |",
                "| ready | pass | assess.error_rate | 0.004 | <= 0.01 | pass |",
                "| task.running | report | 1 | report-a |")) {
            assertTrue(md.contains(expected), "the Markdown report lacks '" + expected + "':\n" + md);
        }
        assertEquals(md, given().queryParam("format", "markdown").get(path).then().statusCode(200).extract().asString());

        // JSON: the same data, structured
        r = given().queryParam("format", "JSON").get(path);
        assertEquals(200, r.statusCode(), r.asString());
        assertTrue(contentType(r).startsWith("application/json"), contentType(r));
        JsonPath doc = r.jsonPath(new JsonPathConfig(JsonPathConfig.NumberReturnType.DOUBLE));
        assertEquals("Checkout | release 7", doc.getString("report.title"));
        assertEquals(id.toString(), doc.getString("cycle.id"));
        assertEquals("RUNNING", doc.getString("cycle.status"), "the state when the report step ran");
        assertEquals(List.of("assess", "ready", "report"), doc.getList("steps.key").stream().sorted().toList());
        assertEquals("SUCCEEDED", doc.getString("steps.find { it.key == 'assess' }.status"));
        assertEquals(0.004, doc.getDouble("steps.find { it.key == 'assess' }.metrics.error_rate"), 1e-12);
        assertEquals(120.0, doc.getDouble("steps.find { it.key == 'assess' }.metrics.latency_p95_ms"));
        assertEquals(9.0, doc.getDouble("steps.find { it.key == 'assess' }.score"));
        assertEquals("RUNNING", doc.getString("steps.find { it.key == 'report' }.status"));
        assertEquals(reportTask, doc.getLong("report.taskId"));
        assertEquals("SUCCEEDED", doc.getString("steps.find { it.key == 'ready' }.status"));
        assertEquals("ready", doc.getString("gates[0].gate"));
        assertEquals("pass", doc.getString("gates[0].verdict"));
        assertEquals(0.004, doc.getDouble("gates[0].conditions[0].observed"), 1e-12);
        assertEquals(0.01, doc.getDouble("gates[0].conditions[0].threshold"), 1e-12);
        assertTrue(doc.getInt("timeline.total") >= 5, doc.getString("timeline"));
        assertNull(doc.get("truncated"));

        // Without ?format, the Accept header chooses
        assertEquals(csv, given().accept("text/csv").get(path).then().statusCode(200).extract().asString());
        assertEquals(csv, given().accept("application/json;q=0.5, text/csv").get(path).then().statusCode(200).extract().asString());
        assertEquals(id.toString(), given().accept(ContentType.JSON).get(path).then().statusCode(200).extract().path("cycle.id"));
        assertEquals(md, given().accept("text/*").get(path).then().statusCode(200).extract().asString());
        assertEquals("not acceptable", given().accept("application/xml").get(path).then().statusCode(406).extract().path("error"));

        // a viewer may read it
        assertEquals(csv, given().header("Authorization", TestTokens.bearer(TestTokens.VIEWER)).queryParam("format", "csv").get(path)
                .then().statusCode(200).extract().asString());
    }

    @Test
    void anUnknownFormatIs400NamingTheField() {
        JsonPath e = given().queryParam("format", "pdf").get("/api/v1/cycles/" + UUID.randomUUID() + "/report")
                .then().statusCode(400).contentType(ContentType.JSON).extract().jsonPath();
        assertEquals("format", e.getString("violations[0].field"));
        assertTrue(e.getString("violations[0].message").contains("'pdf' is not one of markdown, json, csv"), e.prettify());

        JsonPath spec = given().contentType(ContentType.JSON).body(Map.of("name", "bad report params", "steps",
                        List.of(step("report", "report", Map.of("title", "ok", "format", "csv")))))
                .post("/api/v1/cycles").then().statusCode(400).extract().jsonPath();
        assertEquals(List.of("steps[0].params.format"), spec.getList("violations.field"));
    }

    @Test
    void aMissingCycleOrReportIs404SayingWhich() throws Exception {
        UUID unknown = UUID.randomUUID();
        JsonPath e = given().get("/api/v1/cycles/" + unknown + "/report").then().statusCode(404).contentType(ContentType.JSON)
                .extract().jsonPath();
        assertEquals("no cycle " + unknown, e.getString("message"));

        UUID id;
        try (WorkerProcess worker = WorkerProcess.builder("report-b").start()) {
            id = submit(Map.of("name", "no report step", "steps", List.of(step("only", "noop", Map.of()))));
            assertEquals("SUCCEEDED", awaitEnd(id, MAX).getString("status"));
        }
        for (String format : List.of("markdown", "json", "csv")) {
            e = given().queryParam("format", format).get("/api/v1/cycles/" + id + "/report").then().statusCode(404)
                    .contentType(ContentType.JSON).extract().jsonPath();
            assertTrue(e.getString("message").startsWith("cycle " + id + " has no report yet"), e.prettify());
        }
    }
}
