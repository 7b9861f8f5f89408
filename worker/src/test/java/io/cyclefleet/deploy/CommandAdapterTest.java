package io.cyclefleet.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cyclefleet.handler.TaskContext;
import io.cyclefleet.handler.TaskFailure;
import io.cyclefleet.outbound.Commands;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command adapter running a real script that keeps the "deployed" version in a file. */
class CommandAdapterTest {

    @TempDir
    Path dir;

    /** deploy VERSION writes it; version prints it; "fail" as a version makes deploy exit 7. */
    private Path script() throws Exception {
        Path s = dir.resolve("target.sh");
        Files.writeString(s, """
                #!/bin/sh
                case "$1" in
                  deploy) [ "$2" = "fail" ] && { echo "boom: disk full" >&2; exit 7; }; echo "$2" > current; echo "deployed $2" ;;
                  version) cat current 2>/dev/null || echo none ;;
                  slow) sleep 30 ;;
                  env) echo "profile=[$DEPLOY_PROFILE] path=[${PATH:+set}] $2=[$(printenv "$2")]" ;;
                esac
                """);
        s.toFile().setExecutable(true);
        return s;
    }

    static AdapterConfig.Adapter settings(String deploy, String rollback, String current, String workDir, Duration timeout) {
        return settings(deploy, rollback, current, workDir, timeout, Map.of());
    }

    static AdapterConfig.Adapter settings(String deploy, String rollback, String current, String workDir, Duration timeout,
                                          Map<String, String> environment) {
        return new AdapterConfig.Adapter() {
            public String type() { return "command"; }
            public String versionPattern() { return "[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}"; }
            public Duration timeout() { return timeout; }
            public Optional<String> deployCommand() { return Optional.ofNullable(deploy); }
            public Optional<String> rollbackCommand() { return Optional.ofNullable(rollback); }
            public Optional<String> currentVersionCommand() { return Optional.ofNullable(current); }
            public Optional<String> workingDirectory() { return Optional.of(workDir); }
            public Map<String, String> environment() { return environment; }
            public Optional<String> url() { return Optional.empty(); }
            public Optional<String> namespace() { return Optional.empty(); }
            public Optional<String> deployment() { return Optional.empty(); }
            public Optional<String> container() { return Optional.empty(); }
            public String imageTemplate() { return "{{version}}"; }
        };
    }

    private NamedAdapter adapter(Duration timeout) throws Exception {
        String s = script().toString();
        return new NamedAdapter("demo", settings(s + " deploy {{version}}", s + " deploy {{version}}", s + " version", dir.toString(), timeout));
    }

    static TaskContext context() {
        return new TaskContext(1, UUID.randomUUID(), "deploy", 1, new ObjectMapper().createObjectNode(), Instant.now().plusSeconds(60));
    }

    @Test
    void deployRecordsThePreviousVersionAndRollbackReturnsToIt() throws Exception {
        CommandAdapter a = new CommandAdapter();
        NamedAdapter demo = adapter(Duration.ofSeconds(10));
        Deployed first = a.deploy(demo, "v1", context());
        assertNull(first.previousVersion(), "nothing ran before");
        Deployed second = a.deploy(demo, "v2", context());
        assertEquals("v1", second.previousVersion());
        assertEquals("v2", Files.readString(dir.resolve("current")).strip());
        Deployed back = a.rollback(demo, second, context());
        assertEquals("v1", back.version());
        assertEquals("v2", back.previousVersion());
        assertEquals("v1", Files.readString(dir.resolve("current")).strip());
    }

    @Test
    void aFailingDeployNamesTheAdapterAndOutputAndStillRecordsWhereToRollBackTo() throws Exception {
        NamedAdapter demo = adapter(Duration.ofSeconds(10));
        new CommandAdapter().deploy(demo, "v1", context());
        TaskFailure f = assertThrows(TaskFailure.class, () -> new CommandAdapter().deploy(demo, "fail", context()));
        assertFalse(f.retryable());
        assertTrue(f.getMessage().contains("adapter 'demo': deploy command") && f.getMessage().contains("exited 7: boom: disk full"), f.getMessage());
        assertEquals("v1", f.measured().summary().get("previousVersion").asText());
    }

    @Test
    void aCommandPastItsTimeoutIsKilled() throws Exception {
        String s = script().toString();
        NamedAdapter slow = new NamedAdapter("slow", settings(s + " slow", null, null, dir.toString(), Duration.ofMillis(500)));
        long start = System.nanoTime();
        TaskFailure f = assertThrows(TaskFailure.class, () -> new CommandAdapter().deploy(slow, "v1", context()));
        assertTrue(f.getMessage().contains("killed after its timeout of PT0.5S"), f.getMessage());
        assertTrue(System.nanoTime() - start < 10_000_000_000L, "returned without waiting for the command");
        assertTrue(ProcessHandle.allProcesses().noneMatch(p -> p.info().commandLine().orElse("").contains(s + " slow")),
                "the process is gone");
    }

    @Test
    void aCommandGetsItsConfiguredEnvironmentButNotTheWorkersOwn() throws Exception {
        String workerOnly = System.getenv().entrySet().stream()
                .filter(e -> !Commands.PASSED_ON.contains(e.getKey()) && e.getKey().matches("[A-Za-z_][A-Za-z0-9_]*") && !e.getValue().isEmpty())
                .map(Map.Entry::getKey).findFirst().orElse(null);
        Assumptions.assumeTrue(workerOnly != null, "the test JVM has no environment variable to leave out");
        String s = script().toString();
        NamedAdapter env = new NamedAdapter("env", settings(s + " env " + workerOnly, null, null, dir.toString(), Duration.ofSeconds(10),
                Map.of("DEPLOY_PROFILE", "canary")));
        assertEquals("profile=[canary] path=[set] " + workerOnly + "=[]",
                new CommandAdapter().deploy(env, "v1", context()).details().get("outputTail"),
                "the configured variable and PATH are passed on, the worker's " + workerOnly + " is not");
    }

    @Test
    void aVersionTheAdapterDoesNotAcceptIsRefusedBeforeAnythingRuns() throws Exception {
        NamedAdapter demo = adapter(Duration.ofSeconds(10));
        TaskFailure f = assertThrows(TaskFailure.class, () -> Adapters.checkVersion(demo, "v1; rm -rf /"));
        assertFalse(f.retryable());
        assertFalse(Files.exists(dir.resolve("current")));
    }

    @Test
    void placeholdersFillSingleArgumentsNeverAShell() throws Exception {
        assertEquals(java.util.List.of("helm", "upgrade", "app", "--set", "image.tag=v1 && reboot"),
                Commands.argv("helm upgrade app --set image.tag={{version}}", Map.of("version", "v1 && reboot")));
        TaskFailure f = assertThrows(TaskFailure.class, () -> Commands.argv("x {{previousVersion}}", Map.of()));
        assertTrue(f.getMessage().contains("needs {{previousVersion}}"), f.getMessage());
    }
}
