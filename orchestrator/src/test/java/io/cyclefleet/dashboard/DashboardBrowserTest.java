package io.cyclefleet.dashboard;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.assertions.LocatorAssertions;
import io.cyclefleet.cycle.SpecExamples;
import io.cyclefleet.support.TestTokens;
import io.cyclefleet.support.WorkerProcess;
import io.cyclefleet.testing.RequiredTools;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The dashboard in a real browser (Debian's Chromium, headless, driven by Playwright) against a running fleet:
 * sign in, watch a cycle that fails verification roll back on its page without reloading it, read its
 * incident's report, acknowledge it from the page; and a viewer sees no buttons. Screenshots go to
 * target/dashboard-screenshots/.
 */
@QuarkusTest
class DashboardBrowserTest {

    static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));
    static final Path SHOTS = Path.of("target", "dashboard-screenshots");
    /** The flags the machine notes give for Chromium here: no sandbox as root, no background network calls. */
    static final List<String> ARGS = List.of("--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync");

    @TestHTTPResource("/")
    URL base;

    @Test
    void anOperatorWatchesACycleRollBackReadsTheIncidentAndAcknowledgesIt() throws Exception {
        RequiredTools.require(Files.isExecutable(CHROMIUM), "no Chromium at " + CHROMIUM + " (Debian package chromium; .ci/run installs it)");
        Files.createDirectories(SHOTS);
        try (WorkerProcess w = WorkerProcess.builder("dash-a").start();
             Playwright pw = Playwright.create(new Playwright.CreateOptions().setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
             Browser browser = pw.chromium().launch(new BrowserType.LaunchOptions().setExecutablePath(CHROMIUM)
                     .setHeadless(true).setArgs(ARGS))) {
            BrowserContext ctx = browser.newContext(new Browser.NewContextOptions().setBaseURL(base.toString())
                    .setViewportSize(1400, 1000));
            Page page = ctx.newPage();

            // No session: the dashboard sends the browser to its login, then back.
            page.navigate("/dashboard/cycles");
            assertThat(page).hasURL(java.util.regex.Pattern.compile(".*/dashboard/login\\?next=.*"));
            page.fill("#token", "not-a-token");
            page.click("#sign-in");
            assertThat(page.locator("#login-error")).containsText("not a valid API token");
            page.screenshot(new Page.ScreenshotOptions().setPath(SHOTS.resolve("login.png")));
            page.fill("#token", TestTokens.OPERATOR);
            page.click("#sign-in");
            assertThat(page).hasURL(java.util.regex.Pattern.compile(".*/dashboard/cycles$"));

            // A cycle submitted through the API, watched on its page until it ends: the page refreshes itself.
            String id = given().contentType(ContentType.JSON).body(SpecExamples.ROLLBACK_DRILL).post("/api/v1/cycles")
                    .then().statusCode(202).extract().path("id");
            page.navigate("/dashboard/cycles/" + id);
            assertThat(page.locator("#cycle-status")).hasText("ROLLED_BACK", new LocatorAssertions.HasTextOptions().setTimeout(60_000));
            assertThat(page.locator("#dag g.node[data-key=verify]")).hasAttribute("data-status", "FAILED");
            assertThat(page.locator("#dag g.node[data-key=rollback]")).hasAttribute("data-status", "SUCCEEDED");
            assertThat(page.locator("#dag g.node[data-key=deploy]")).hasAttribute("data-status", "SUCCEEDED");
            assertThat(page.locator("#tasks tr[data-task=verify]")).containsText("planned failure");
            assertThat(page.locator("#timeline")).containsText("cycle.rolled_back");
            page.screenshot(new Page.ScreenshotOptions().setPath(SHOTS.resolve("cycle-rolled-back.png")).setFullPage(true));

            // Its incident: found from the list page, read as a report, acknowledged from the page.
            UUID incident = await().atMost(Duration.ofSeconds(10)).until(() -> incidentOf(UUID.fromString(id)), java.util.Objects::nonNull);
            page.navigate("/dashboard/incidents?status=open");
            page.click("#incidents tr[data-incident='" + incident + "'] a");
            assertThat(page).hasURL(java.util.regex.Pattern.compile(".*/dashboard/incidents/" + incident));
            assertThat(page.locator("#report h1, #report h2").first()).isVisible();
            assertThat(page.locator("#report")).containsText("verify");
            assertThat(page.locator("#report table").first()).isVisible();
            assertThat(page.locator("#incident-status")).hasText("open");
            page.screenshot(new Page.ScreenshotOptions().setPath(SHOTS.resolve("incident-report.png")).setFullPage(true));
            page.click("button:has-text('Acknowledge')");
            assertThat(page.locator("#incident-status")).hasText("acknowledged", new LocatorAssertions.HasTextOptions().setTimeout(15_000));
            assertEquals("acknowledged", given().get("/api/v1/incidents/" + incident).then().extract().path("status"));
            assertEquals("test-operator", given().get("/api/v1/incidents/" + incident).then().extract().path("acknowledgedBy"));

            // The fleet page: the worker with its in-flight count, the queue the cycle used.
            page.navigate("/dashboard");
            assertThat(page.locator("#workers tr[data-worker=dash-a]")).containsText("LIVE");
            assertThat(page.locator("#queues tr[data-queue=default]")).isVisible();
            page.screenshot(new Page.ScreenshotOptions().setPath(SHOTS.resolve("fleet.png")).setFullPage(true));

            // A viewer reads the same pages and gets no buttons.
            BrowserContext viewer = browser.newContext(new Browser.NewContextOptions().setBaseURL(base.toString()));
            Page vp = viewer.newPage();
            vp.navigate("/dashboard/incidents/" + incident);
            vp.fill("#token", TestTokens.VIEWER);
            vp.click("#sign-in");
            assertThat(vp.locator("#report")).containsText("verify");
            assertThat(vp.locator("button[data-action]")).hasCount(0);
            assertTrue(vp.content().contains("(viewer)"));
        }
    }

    private static UUID incidentOf(UUID cycle) {
        List<Map<String, Object>> items = given().get("/api/v1/incidents?limit=200").then().statusCode(200).extract().path("items");
        return items.stream().filter(i -> cycle.toString().equals(i.get("latestCycleId"))).map(i -> UUID.fromString((String) i.get("id")))
                .findFirst().orElse(null);
    }
}
