package io.cyclefleet.outbound;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cyclefleet.testing.RequiredTools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Commands' timeout holding when the JVM that started the command is killed. */
class CommandsTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    @TempDir
    Path dir;

    /** The worker, in a JVM of its own: runs {@code sleep 60} through Commands with a timeout of 2 s. */
    public static final class Worker {
        public static void main(String[] args) throws Exception {
            Commands.Ran ran = Commands.run(List.of("sleep", "60"), null, Map.of(), TIMEOUT);
            System.out.println("Commands.run returned (it should have been killed before): timedOut=" + ran.timedOut());
        }
    }

    @Test
    void aCommandWhoseWorkerIsKilledStillStopsAtItsTimeout() throws Exception {
        RequiredTools.require(Commands.TIMEOUT != null, "coreutils timeout(1) is not on the PATH: commands of a killed worker are not bounded");
        Assumptions.assumeTrue(Processes.readable(), "no /proc to read process states from");
        Path output = dir.resolve("worker.out");
        Process worker = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Worker.class.getName())
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        ProcessHandle sleep = null;
        try {
            sleep = await("the worker starting sleep").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10))
                    .until(() -> worker.descendants().filter(p -> p.info().command().orElse("").endsWith("/sleep")).findFirst(),
                            Optional::isPresent).orElseThrow();
            long seen = System.nanoTime();
            ProcessHandle wrapper = sleep.parent().orElseThrow();
            assertEquals(Commands.TIMEOUT.toString(), wrapper.info().command().orElse(""), "sleep runs under timeout(1)");
            assertEquals(Optional.of(worker.pid()), wrapper.parent().map(ProcessHandle::pid), "which the worker started");

            worker.destroyForcibly(); // SIGKILL: the JVM gets no chance to stop anything
            assertTrue(worker.waitFor(10, TimeUnit.SECONDS), "the worker JVM died");
            assertEquals(137, worker.exitValue(), "killed by SIGKILL");
            Duration sinceSeen = Duration.ofNanos(System.nanoTime() - seen);
            assertTrue(sinceSeen.compareTo(TIMEOUT) < 0, "killed the worker before its own timeout could act: " + sinceSeen);
            assertTrue(Processes.running(sleep.pid()) && Processes.running(wrapper.pid()),
                    "the worker's death stops nothing it started: without timeout(1), sleep would run its 60 s");

            long sleepPid = sleep.pid();
            await("sleep stopped by timeout(1)").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                    .until(() -> !Processes.running(sleepPid));
            Duration lived = Duration.ofNanos(System.nanoTime() - seen);
            assertTrue(lived.compareTo(TIMEOUT) >= 0, "it ran until its timeout (2 s, timeout(1) fires a second later): " + lived);
            assertTrue(lived.compareTo(TIMEOUT.plusSeconds(4)) < 0,
                    "stopped at its timeout + 1 s (+ 2 s before SIGKILL at most), not after 60 s: " + lived);
            await("timeout(1) exiting").atMost(Duration.ofSeconds(5)).until(() -> !Processes.running(wrapper.pid()));
            assertEquals("", Files.readString(output).strip(), "the worker never got to report anything");
        } finally {
            worker.destroyForcibly();
            if (sleep != null && sleep.isAlive()) {
                sleep.destroyForcibly();
            }
        }
    }

    @Test
    void aCommandRunsUnderTimeoutASecondPastItsOwnTimeoutWithAKillGrace() {
        RequiredTools.require(Commands.TIMEOUT != null, "coreutils timeout(1) is not on the PATH");
        assertEquals(List.of(Commands.TIMEOUT.toString(), "--kill-after=2s", "3.5s", "helm", "upgrade"),
                Commands.bounded(List.of("helm", "upgrade"), Duration.ofMillis(2500)));
    }

    @Test
    void aCommandStoppedWhileItsThreadIsInterruptedAgainAndAgainStillGetsItsGraceToStopCleanly() throws Exception {
        // as a fenced run's watchdog does: it interrupts the handler's thread on each pass while the tree is killed
        Path stopped = dir.resolve("stopped");
        Process command = new ProcessBuilder("bash", "-c",
                "trap 'sleep 0.3; echo stopped > " + stopped + "; exit 0' TERM; sleep 60 & wait").start();
        await().atMost(Duration.ofSeconds(5)).until(() -> command.descendants().findAny().isPresent());
        Thread killer = Thread.currentThread();
        Thread watchdog = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                killer.interrupt();
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        watchdog.start();
        try {
            Commands.killTree(command);
        } finally {
            watchdog.interrupt();
            while (watchdog.isAlive()) {
                try {
                    watchdog.join();
                } catch (InterruptedException lastInterruptOfTheWatchdog) {
                    // expected: it interrupts this thread until it stops
                }
            }
            Thread.interrupted();
        }
        assertTrue(command.waitFor(5, TimeUnit.SECONDS));
        assertEquals("stopped", Files.readString(stopped).strip(), "the command's TERM handler ran to its end, not cut by SIGKILL");
    }
}
