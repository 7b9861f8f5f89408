package io.cyclefleet.outbound;

import io.cyclefleet.run.TaskFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs an allowlisted command: an argv template from worker configuration with {@code {{name}}} placeholders
 * filled per argument (never through a shell, so a value cannot add a command or an argument), a small
 * environment that does not inherit the worker's credentials, a timeout, and the process with everything it
 * started stopped on timeout or interrupt. Used by the {@code command} deployment adapter and by test suites.
 */
public final class Commands {

    /** The part of the worker's environment a command inherits: enough to find tools, never the worker's secrets. */
    public static final Set<String> PASSED_ON = Set.of("PATH", "HOME", "USER", "LANG", "LC_ALL", "TZ", "TMPDIR", "JAVA_HOME");
    /** How much of a command's output (stdout and stderr together) is kept: the last 64 KiB. */
    public static final int OUTPUT_CAP = 64 * 1024;
    static final Duration KILL_GRACE = Duration.ofSeconds(2);
    static final Duration OUTPUT_DRAIN = Duration.ofSeconds(2);
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{([^{}]*)}}");
    /**
     * coreutils' timeout(1), when installed: every command runs under it, a second past its own timeout, so that a
     * command whose worker is killed (SIGKILL, OOM) or paused still stops on time with everything it started (it
     * signals its whole process group). The worker's own timeout fires first and reports the timeout.
     */
    static final Path TIMEOUT = findTimeout();

    /**
     * What a run did. {@code exitCode} is null when it was killed at its timeout; {@code killed} counts the
     * processes stopped then (the command and those it had started).
     */
    public record Ran(List<String> argv, Integer exitCode, boolean timedOut, int killed, Duration wallClock, OutputTail output) {

        /** The output kept, as text. */
        public String text() {
            return output.last(OUTPUT_CAP);
        }

        /** The last non-blank line of the output, e.g. a version a status command printed. */
        public String lastLine() {
            String[] lines = text().strip().split("\\R");
            return lines.length == 0 ? "" : lines[lines.length - 1].strip();
        }
    }

    private Commands() {
    }

    /** {@link #argv(String, Map, Function)}, refusing an unfilled placeholder by naming the template. */
    public static List<String> argv(String template, Map<String, String> values) throws TaskFailure {
        return argv(template, values, name -> new TaskFailure("command template '" + template + "' needs {{" + name
                + "}}, which was not given", false));
    }

    /**
     * Splits {@code template} on whitespace and replaces each {@code {{name}}} inside an element with its value,
     * which stays inside that one element: it is inserted as it is, never read again as a template or split.
     * A placeholder without a value fails with {@code missing}'s failure for its name.
     */
    public static List<String> argv(String template, Map<String, String> values, Function<String, TaskFailure> missing)
            throws TaskFailure {
        String t = template.strip();
        if (t.isEmpty()) {
            throw new TaskFailure("command template is empty", false);
        }
        List<String> argv = new ArrayList<>();
        for (String element : t.split("\\s+")) {
            Matcher m = PLACEHOLDER.matcher(element);
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                String value = values.get(m.group(1));
                if (value == null) {
                    throw missing.apply(m.group(1));
                }
                m.appendReplacement(out, Matcher.quoteReplacement(value));
            }
            m.appendTail(out);
            argv.add(out.toString());
        }
        return List.copyOf(argv);
    }

    /**
     * Runs {@code argv} in {@code directory} (null: the worker's) with {@link #PASSED_ON} of the worker's
     * environment plus {@code environment}, and no stdin. At {@code timeout} the process and every process it
     * started are stopped (asked first, forced after {@link #KILL_GRACE}) and the run reports {@code timedOut}.
     * When the thread is interrupted the same happens and InterruptedException is thrown, with the thread's
     * interrupt status set again.
     *
     * @throws IOException when the process cannot be started (no such program, not executable, no such directory)
     */
    public static Ran run(List<String> argv, Path directory, Map<String, String> environment, Duration timeout)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(bounded(argv, timeout)).redirectErrorStream(true);
        if (directory != null) {
            pb.directory(directory.toFile());
        }
        pb.environment().keySet().retainAll(PASSED_ON);
        pb.environment().putAll(environment);
        OutputTail output = new OutputTail(OUTPUT_CAP);
        long start = System.nanoTime();
        Process process = pb.start();
        Thread reader = new Thread(() -> output.pump(process.getInputStream()), "command-output-" + process.pid());
        reader.setDaemon(true);
        reader.start();
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // nothing is written to a command's stdin; a process that already exited has closed it itself
        }
        boolean exited;
        try {
            exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            killTree(process);
            Thread.currentThread().interrupt();
            throw e;
        }
        // the timeout(1) wrapper is ours, not one of the processes the command started
        int killed = exited ? 0 : killTree(process) - (TIMEOUT == null ? 0 : 1);
        Duration wall = Duration.ofNanos(System.nanoTime() - start);
        reader.join(OUTPUT_DRAIN.toMillis());
        if (reader.isAlive()) {
            // Something the command started outlived it and still holds its output open: stop reading.
            try {
                process.getInputStream().close();
            } catch (IOException ignored) {
                // nothing more to read
            }
        }
        return new Ran(List.copyOf(argv), exited ? process.exitValue() : null, !exited, killed, wall, output);
    }

    /** {@code argv} under timeout(1), killed (SIGKILL) {@link #KILL_GRACE} after a SIGTERM a second past {@code timeout}. */
    static List<String> bounded(List<String> argv, Duration timeout) {
        if (TIMEOUT == null) {
            return argv;
        }
        List<String> wrapped = new ArrayList<>(argv.size() + 4);
        wrapped.add(TIMEOUT.toString());
        wrapped.add("--kill-after=" + KILL_GRACE.toSeconds() + "s");
        wrapped.add((timeout.toMillis() + 1000) / 1000.0 + "s");
        wrapped.addAll(argv);
        return wrapped;
    }

    private static Path findTimeout() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(java.io.File.pathSeparator)) {
            Path p = Path.of(dir, "timeout");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /**
     * Stops the process and every process it started (asked first, then forced after a grace period); returns
     * how many processes were stopped. Descendants are listed before the parent dies: afterwards they belong
     * to init and can no longer be found from it. The grace holds even when the thread is interrupted meanwhile
     * (a fenced run's watchdog interrupts it again on each pass): a command asked to stop gets its
     * {@link #KILL_GRACE} to clean up and record that it stopped; the interrupt is kept for the caller.
     */
    static int killTree(Process process) {
        Set<ProcessHandle> tree = new LinkedHashSet<>();
        tree.add(process.toHandle());
        process.descendants().forEach(tree::add);
        tree.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + KILL_GRACE.toNanos();
        boolean interrupted = Thread.interrupted();
        try {
            while (tree.stream().anyMatch(Commands::running) && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            Set<ProcessHandle> rest = new LinkedHashSet<>();
            for (ProcessHandle h : tree) {
                if (running(h)) {
                    rest.add(h);
                    h.descendants().forEach(rest::add); // anything started during the grace period
                }
            }
            rest.forEach(ProcessHandle::destroyForcibly);
            long reaped = System.nanoTime() + KILL_GRACE.toNanos();
            while (process.isAlive() && System.nanoTime() < reaped) {
                try {
                    process.waitFor(Math.max(1, (reaped - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        return tree.size();
    }

    /**
     * Whether a process still runs. Java counts a zombie as alive, and a killed grandchild stays one until init
     * reaps it (in a container, whenever PID 1 gets to it): on Linux its state says it has exited.
     */
    static boolean running(ProcessHandle h) {
        if (!h.isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(h.pid()), "stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (NoSuchFileException e) {
            return !Files.isDirectory(Path.of("/proc/self")); // on Linux: gone in between; elsewhere: no /proc to ask
        } catch (IOException | RuntimeException e) {
            return true;
        }
    }

    /** The last 500 characters of {@code s}, stripped: enough of an output or an answer for an error message. */
    public static String abbreviate(String s) {
        String t = s.strip();
        return t.length() <= 500 ? t : "…" + t.substring(t.length() - 500);
    }
}
