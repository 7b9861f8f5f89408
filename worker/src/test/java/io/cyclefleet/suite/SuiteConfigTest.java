package io.cyclefleet.suite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.cyclefleet.run.TaskFailure;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The configuration keys as docs/cycles.md gives them, bound by SmallRye Config (no Quarkus boot). */
class SuiteConfigTest {

    private static SuiteConfig config(Map<String, String> properties) {
        SmallRyeConfig c = new SmallRyeConfigBuilder().withMapping(SuiteConfig.class)
                .withSources(new PropertiesConfigSource(properties, "test", 100)).build();
        return c.getConfigMapping(SuiteConfig.class);
    }

    @Test
    void theDocumentedExampleBindsWithItsDefaults() throws Exception {
        SuiteConfig config = config(Map.of(
                "cyclefleet.suites.unit.command", "./mvnw -q test -Dtest={{pattern}}",
                "cyclefleet.suites.unit.working-directory", "/srv/checkout",
                "cyclefleet.suites.unit.environment.MAVEN_OPTS", "-Xmx1g",
                "cyclefleet.suites.unit.arguments.pattern", "[A-Za-z0-9*]+",
                "cyclefleet.suites.e2e.command", "npm run e2e",
                "cyclefleet.suites.e2e.timeout", "PT20M",
                "cyclefleet.suites.e2e.reports", "results/*.xml"));
        SuiteConfig.Suite unit = config.suites().get("unit");
        assertEquals(Optional.of("/srv/checkout"), unit.workingDirectory());
        assertEquals(Map.of("MAVEN_OPTS", "-Xmx1g"), unit.environment());
        assertEquals(Duration.ofMinutes(10), unit.timeout());
        assertEquals("**/TEST-*.xml", unit.reports());
        SuiteConfig.Suite e2e = config.suites().get("e2e");
        assertEquals(Duration.ofMinutes(20), e2e.timeout());
        assertEquals(Map.of(), e2e.arguments());
        assertEquals(Optional.empty(), e2e.workingDirectory());

        SuiteRunner runner = new SuiteRunner(config);
        assertEquals(List.of("./mvnw", "-q", "test", "-Dtest=Checkout*Test"),
                runner.prepare("unit", Map.of("pattern", "Checkout*Test")).argv());
        TaskFailure f = assertThrows(TaskFailure.class, () -> runner.prepare("e2e", Map.of("pattern", "x")));
        assertFalse(f.retryable());
        assertEquals("suite 'e2e' does not take argument 'pattern' (declared: [])", f.getMessage());
    }

    @Test
    void noSuitesConfiguredMeansEveryNameIsRefused() {
        SuiteRunner runner = new SuiteRunner(config(Map.of()));
        TaskFailure f = assertThrows(TaskFailure.class, () -> runner.prepare("unit", Map.of()));
        assertEquals("suite 'unit' is not configured on this worker (configured: [])", f.getMessage());
    }

    @Test
    void anInvalidPatternInTheConfigurationIsNamed() {
        SuiteRunner runner = new SuiteRunner(config(Map.of("cyclefleet.suites.unit.command", "run {{p}}",
                "cyclefleet.suites.unit.arguments.p", "[unclosed")));
        TaskFailure f = assertThrows(TaskFailure.class, () -> runner.prepare("unit", Map.of("p", "x")));
        assertEquals("suite 'unit': argument 'p' has an invalid pattern in the worker's configuration "
                + "(cyclefleet.suites.unit.arguments.p): Unclosed character class", f.getMessage());
    }
}
