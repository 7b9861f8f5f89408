package io.cyclefleet.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cyclefleet.outbound.Commands;
import io.cyclefleet.outbound.Processes;
import io.cyclefleet.run.TaskContext;
import io.cyclefleet.run.TaskFailure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command adapter running a real script that keeps the "deployed" version in a file, driven as Deployments drives it. */
class CommandAdapterTest {

    private static final Duration TEN_SECONDS = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private final CommandAdapter adapter = new CommandAdapter();
    private final TaskContext context = new TaskContext(1, UUID.randomUUID(), "deploy", 1, new ObjectMapper().createObjectNode(),
            Instant.now().plusSeconds(60));

    /**
     * deploy VERSION writes it ("fail" as a version makes it exit 7); record does too and prints its arguments; noop
     * changes nothing; version prints it; slow starts a sleep, writes its pid and waits for it.
     */
    private Path script() throws Exception {
        Path s = dir.resolve("target.sh");
        Files.writeString(s, """
                #!/bin/sh
                case "$1" in
                  deploy) [ "$2" = "fail" ] && { echo "boom: disk full" >&2; exit 7; }; echo "$2" > current; echo "deployed $2" ;;
                  record) echo "$2" > current; echo "version=[$2] previous=[$3] token=[$4] cycle=[$5] arguments=$#" ;;
                  noop) echo "did nothing" ;;
                  version) cat current 2>/dev/null || echo none ;;
                  slow) sleep 30 & echo $! > sleep.pid; wait ;;
                  env) echo "profile=[$DEPLOY_PROFILE] path=[${PATH:+set}] $2=[$(printenv "$2")]" ;;
                esac
                """);
        s.toFile().setExecutable(true);
        return s;
    }

    private NamedAdapter adapter(String deploy, String rollback, String current, Duration timeout, Map<String, String> environment) {
        return new NamedAdapter("demo", AdapterSettings.command(deploy, rollback, current, dir.toString(), timeout, environment));
    }

    /** deploy-command and rollback-command set the version, current-version-command reads it. */
    private NamedAdapter demo() throws Exception {
        String s = script().toString();
        return adapter(s + " deploy {{version}}", s + " deploy {{version}}", s + " version", TEN_SECONDS, Map.of());
    }

    /** A deploy as Deployments makes it: observe, then converge. */
    private Deployed deploy(NamedAdapter a, String version, long token) throws Exception {
        return adapter.converge(a, TestIntents.deploy(token, version, adapter.observe(a, context), a.settings().timeout()), context);
    }

    private String current() throws Exception {
        return Files.readString(dir.resolve("current")).strip();
    }

    @Test
    void deployAndRollbackConvergeAndReportWhatTheyReplaced() throws Exception {
        NamedAdapter demo = demo();
        assertEquals(new Observed(null, true, Map.of()), adapter.observe(demo, context), "the command says nothing runs");
        Deployed first = deploy(demo, "v1", 1);
        assertEquals(null, first.previousVersion(), "nothing ran before");
        Observed before = adapter.observe(demo, context);
        assertEquals(Observed.version("v1"), before);

        Deployed second = deploy(demo, "v2", 2);
        assertEquals("v1", second.previousVersion());
        assertEquals("v2", current());
        assertEquals("deployed v2", second.details().get("outputTail"));
        assertEquals(0, second.details().get("exitCode"));

        Deployed back = adapter.converge(demo, TestIntents.rollback(3, "v1", adapter.observe(demo, context), before.state(), TEN_SECONDS),
                context);
        assertEquals("v1", back.version());
        assertEquals("v2", back.previousVersion());
        assertEquals("v1", current());
    }

    @Test
    void theVersionsTheFencingTokenAndTheCycleReachTheCommandAsSingleArguments() throws Exception {
        String s = script().toString();
        NamedAdapter record = adapter(s + " record {{version}} {{previousVersion}} {{fencingToken}} {{cycleId}}", null, s + " version",
                TEN_SECONDS, Map.of());
        Files.writeString(dir.resolve("current"), "v1\n");

        Deployed d = deploy(record, "v2 && touch pwned", 57);

        assertEquals("version=[v2 && touch pwned] previous=[v1] token=[57] cycle=[" + context.cycleId() + "] arguments=5",
                d.details().get("outputTail"), "each value is one argument, never read by a shell");
        assertFalse(Files.exists(dir.resolve("pwned")));
        assertEquals(57L, d.details().get("fencingToken"));
        assertEquals("v1", d.previousVersion());
    }

    @Test
    void aDeployThatExitsZeroButLeavesAnotherVersionRunningFailsNamingBoth() throws Exception {
        String s = script().toString();
        NamedAdapter noop = adapter(s + " noop {{version}}", null, s + " version", TEN_SECONDS, Map.of());
        Files.writeString(dir.resolve("current"), "v1\n");

        TaskFailure f = assertThrows(TaskFailure.class, () -> deploy(noop, "v2", 1));

        assertFalse(f.retryable(), "the command says it is done: running it again would change nothing");
        assertEquals("adapter 'demo': deploy command exited 0 but the target runs v1, not v2: did nothing", f.getMessage());
    }

    @Test
    void withoutACurrentVersionCommandObserveIsUnknownAndTheIntentSaysWhatRanBefore() throws Exception {
        String s = script().toString();
        NamedAdapter blind = adapter(s + " record {{version}} {{previousVersion}} {{fencingToken}} {{cycleId}}", null, null, TEN_SECONDS,
                Map.of());
        assertEquals(Observed.unknown(), adapter.observe(blind, context));

        // a redelivered deploy: the first attempt's intent recorded v1 as what ran before; nothing can be observed now
        Intent intent = new Intent(8, Intent.Action.DEPLOY, "v2", "v1", Observed.unknown(), Map.of(), System.nanoTime() + TEN_SECONDS.toNanos());
        Deployed d = adapter.converge(blind, intent, context);

        assertEquals("v1", d.previousVersion());
        assertTrue(((String) d.details().get("outputTail")).startsWith("version=[v2] previous=[v1] token=[8]"), d.details().toString());
        assertEquals("v2", current(), "converged without reading the version back");
    }

    @Test
    void aRollbackWithoutARollbackCommandNamesTheKeyAndRunsNothing() throws Exception {
        String s = script().toString();
        NamedAdapter deployOnly = adapter(s + " deploy {{version}}", null, s + " version", TEN_SECONDS, Map.of());
        Intent back = TestIntents.rollback(2, "v1", Observed.version("v2"), Map.of(), TEN_SECONDS);
        TaskFailure f = assertThrows(TaskFailure.class, () -> adapter.converge(deployOnly, back, context));
        assertFalse(f.retryable());
        assertEquals("adapter 'demo' has no rollback-command configured (cyclefleet.adapters.demo.rollback-command)", f.getMessage());
        assertFalse(Files.exists(dir.resolve("current")));
    }

    @Test
    void noTimeLeftRunsNothing() throws Exception {
        NamedAdapter demo = demo();
        Intent expired = TestIntents.deploy(1, "v1", adapter.observe(demo, context), Duration.ofMillis(-1));
        TaskFailure f = assertThrows(TaskFailure.class, () -> adapter.converge(demo, expired, context));
        assertTrue(f.retryable());
        assertEquals("adapter 'demo': no time left to act within its timeout of PT10S", f.getMessage());
        assertFalse(Files.exists(dir.resolve("current")));
    }

    @Test
    void aFailingDeployNamesTheAdapterAndTheOutput() throws Exception {
        NamedAdapter demo = demo();
        deploy(demo, "v1", 1);
        TaskFailure f = assertThrows(TaskFailure.class, () -> deploy(demo, "fail", 2));
        assertFalse(f.retryable());
        assertTrue(f.getMessage().contains("adapter 'demo': deploy command") && f.getMessage().contains("exited 7: boom: disk full"),
                f.getMessage());
    }

    @Test
    void aCommandPastItsTimeoutIsKilledWithWhatItStarted() throws Exception {
        Assumptions.assumeTrue(Processes.readable(), "no /proc to read process states from");
        String s = script().toString();
        NamedAdapter slow = adapter(s + " slow", null, null, Duration.ofSeconds(1), Map.of());
        long start = System.nanoTime();
        TaskFailure f = assertThrows(TaskFailure.class, () -> deploy(slow, "v1", 1));
        assertTrue(f.getMessage().startsWith("command " + s + ": killed after its timeout of PT0."), f.getMessage());
        assertTrue(f.retryable(), "a timeout is not a verdict on the version");
        assertTrue(System.nanoTime() - start < 10_000_000_000L, "returned without waiting for the command");
        long sleep = Long.parseLong(Files.readString(dir.resolve("sleep.pid")).strip());
        assertFalse(Processes.running(sleep), "the sleep the script started is gone too");
        assertTrue(ProcessHandle.allProcesses().noneMatch(p -> p.info().commandLine().orElse("").contains(s + " slow")),
                "the script is gone");
    }

    @Test
    void aCommandGetsItsConfiguredEnvironmentButNotTheWorkersOwn() throws Exception {
        String workerOnly = System.getenv().entrySet().stream()
                .filter(e -> !Commands.PASSED_ON.contains(e.getKey()) && e.getKey().matches("[A-Za-z_][A-Za-z0-9_]*") && !e.getValue().isEmpty())
                .map(Map.Entry::getKey).findFirst().orElse(null);
        Assumptions.assumeTrue(workerOnly != null, "the test JVM has no environment variable to leave out");
        String s = script().toString();
        NamedAdapter env = adapter(s + " env " + workerOnly, null, null, TEN_SECONDS, Map.of("DEPLOY_PROFILE", "canary"));
        assertEquals("profile=[canary] path=[set] " + workerOnly + "=[]", deploy(env, "v1", 1).details().get("outputTail"),
                "the configured variable and PATH are passed on, the worker's " + workerOnly + " is not");
    }

    @Test
    void aVersionTheAdapterDoesNotAcceptIsRefusedBeforeAnythingRuns() throws Exception {
        NamedAdapter demo = demo();
        TaskFailure f = assertThrows(TaskFailure.class, () -> Adapters.checkVersion(demo, "v1; rm -rf /"));
        assertFalse(f.retryable());
        assertFalse(Files.exists(dir.resolve("current")));
    }

    @Test
    void placeholdersFillSingleArgumentsNeverAShell() throws Exception {
        assertEquals(List.of("helm", "upgrade", "app", "--set", "image.tag=v1 && reboot"),
                Commands.argv("helm upgrade app --set image.tag={{version}}", Map.of("version", "v1 && reboot")));
        TaskFailure f = assertThrows(TaskFailure.class, () -> Commands.argv("x {{previousVersion}}", Map.of()));
        assertTrue(f.getMessage().contains("needs {{previousVersion}}"), f.getMessage());
    }
}
