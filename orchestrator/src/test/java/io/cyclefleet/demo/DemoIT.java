package io.cyclefleet.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cyclefleet.support.Scripts;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The README's first command, end to end, after packaging: scripts/demo-cycle starts the packaged fleet with
 * the demo adapter, the demo target and (when installed) Prometheus, runs the regression cycle and the clean
 * one, and prints the incident report, whose content is checked here. Own ports, database and run directory,
 * so it does not meet a developer's fleet.
 */
class DemoIT {

    @Test
    void theDemoRollsBackTheRegressionReportsItAndShipsTheGoodChange() throws Exception {
        // a database of its own, afresh: an incident left open by an earlier run would count this run's as a repeat
        try (var c = java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", "");
             var st = c.createStatement()) {
            st.execute("drop database if exists demo_it with (force)");
        }
        Path runDir = Path.of("target", "demo-run").toAbsolutePath();
        Scripts.Run run = Scripts.run("demo-cycle", List.of("--no-build", "--stop"), Map.of("CYCLEFLEET_RUN_DIR", runDir.toString(),
                "CYCLEFLEET_PORT", "8095", "CYCLEFLEET_WORKER_PORT_BASE", "8295", "CYCLEFLEET_DB", "demo_it", "DEMO_TARGET_PORT", "9191",
                "DEMO_PROMETHEUS_PORT", "9192"), Path.of("target", "demo-it.log"), Duration.ofMinutes(8));
        String out = run.output();
        assertTrue(run.finished(), "the demo did not finish within 8 minutes:\n" + out);
        assertEquals(0, run.exit(), "the demo failed:\n" + out);
        for (String expected : List.of(
                "=== cycle 1: deploy v2",
                "ROLLED_BACK",
                "=== the incident report",
                "# [WARNING] Deployment rolled back after a failure (demo-target)",
                "| Target | demo-target |",
                "Failure detected: deployment-verification step verify failed: verification failed: analysis error_rate failed",
                "breached result <= 0.05",
                "### verify (deployment-verification, main branch)",
                "| error_rate |",
                "Rolled back: **yes, and verified**",
                "| rollback | rollback | SUCCEEDED |",
                "| verify-rollback | deployment-verification | SUCCEEDED |",
                "incident.opened by orchestrator",
                "#deployment-rolled-back",
                "=== cycle 2: deploy v1.1",
                "target now runs: v1.1",
                "demo done: the regression was rolled back and reported, the good change went out")) {
            assertTrue(out.contains(expected), "the demo's output lacks '" + expected + "':\n" + out);
        }
        assertTrue(out.indexOf("target now runs: v1\n") > 0, "after cycle 1 the target is back on v1:\n" + out);
    }
}
