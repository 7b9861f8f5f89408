package io.cyclefleet.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cyclefleet.cycle.SpecExamples;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The OpenAPI document and Swagger UI are served, open like health, and every documented example is a valid spec. */
@QuarkusTest
class OpenApiTest {

    @Test
    void theDocumentDescribesTheApiWithItsBearerSchemeAndExamples() {
        JsonPath doc = given().header("Authorization", "").get("/q/openapi?format=json").then().statusCode(200).extract().jsonPath();
        assertEquals("bearer", doc.getString("components.securitySchemes.bearer.scheme"));
        for (String path : List.of("/api/v1/cycles", "/api/v1/cycles/{id}", "/api/v1/cycles/{id}/approve", "/api/v1/incidents",
                "/api/v1/incidents/{id}/report", "/api/v1/templates", "/api/v1/workers")) {
            assertTrue(doc.getMap("paths").containsKey(path), "the document lacks " + path);
        }
        Map<String, Object> examples = doc.getMap("paths.'/api/v1/cycles'.post.requestBody.content.'application/json'.examples");
        assertEquals(java.util.Set.of("dag", "gated", "standard", "rollback-drill", "approval-and-iteration"), examples.keySet());
    }

    @Test
    void everyDocumentedExampleIsAcceptedAsItStands() {
        for (String example : List.of(SpecExamples.DAG, SpecExamples.GATED, SpecExamples.STANDARD, SpecExamples.ROLLBACK_DRILL,
                SpecExamples.APPROVAL_AND_ITERATION)) {
            String id = given().contentType("application/json").body(example).post("/api/v1/cycles")
                    .then().statusCode(202).extract().path("id");
            given().post("/api/v1/cycles/" + id + "/cancel"); // documentation, not work for the other tests' workers
        }
    }

    @Test
    void swaggerUiIsServed() {
        String page = given().get("/q/swagger-ui/").then().statusCode(200).extract().asString();
        assertTrue(page.contains("swagger"), page.substring(0, Math.min(200, page.length())));
    }
}
