package io.cyclefleet.handler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cyclefleet.outbound.HttpCalls;
import io.cyclefleet.outbound.Outbound;
import io.cyclefleet.run.TaskContext;
import io.cyclefleet.suite.SuiteConfig;
import io.cyclefleet.suite.SuiteRunner;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** Hand-built suite configuration and a handler wired without CDI (no Postgres, no Redis). */
final class TestingFixtures {

    static final ObjectMapper JSON = new ObjectMapper();

    record Suite(String command, Optional<String> workingDirectory, Map<String, String> environment, Duration timeout,
                 String reports, Map<String, String> arguments) implements SuiteConfig.Suite {

        /** A suite running the stand-in script {@code suites/suite.sh} with the given arguments after "sh script". */
        static Suite script(String args, Path workingDirectory) {
            return new Suite("sh " + TestingFixtures.script() + " " + args, Optional.ofNullable(workingDirectory).map(Path::toString), Map.of(),
                    Duration.ofSeconds(30), "**/TEST-*.xml", Map.of());
        }

        Suite withArguments(Map<String, String> a) {
            return new Suite(command, workingDirectory, environment, timeout, reports, a);
        }

        Suite withEnvironment(Map<String, String> e) {
            return new Suite(command, workingDirectory, e, timeout, reports, arguments);
        }

        Suite withTimeout(Duration t) {
            return new Suite(command, workingDirectory, environment, t, reports, arguments);
        }
    }

    private TestingFixtures() {
    }

    static String script() {
        try {
            return Path.of(TestingFixtures.class.getResource("/suites/suite.sh").toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static TestingHandler handler(Map<String, SuiteConfig.Suite> suites) {
        SuiteConfig config = () -> suites;
        return new TestingHandler(new SuiteRunner(config), new HttpCalls(new Outbound()));
    }

    static TaskContext context(String params) throws Exception {
        return context(JSON.readTree(params));
    }

    static TaskContext context(JsonNode params) {
        return new TaskContext(1, UUID.randomUUID(), "test", 1, params, Instant.now().plus(Duration.ofMinutes(5)));
    }
}
