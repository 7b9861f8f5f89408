package io.cyclefleet.suite;

import io.cyclefleet.handler.TaskFailure;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Stream;

/**
 * Runs a configured suite: checks the step's arguments against the suite's declarations, builds the argv from
 * its template (no shell), runs it with a small environment under the suite's timeout, kills it and every
 * process it started on timeout or interrupt, and reads the JUnit reports this run wrote.
 */
@ApplicationScoped
public class SuiteRunner {

    /** The part of the worker's environment a suite inherits: enough to find tools, never the worker's secrets. */
    public static final Set<String> PASSED_ON = Set.of("PATH", "HOME", "USER", "LANG", "LC_ALL", "TZ", "TMPDIR", "JAVA_HOME");
    public static final int OUTPUT_CAP = 64 * 1024;
    public static final int MAX_REPORTS = 1000;
    static final Duration KILL_GRACE = Duration.ofSeconds(2);
    static final Duration OUTPUT_DRAIN = Duration.ofSeconds(2);
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{([^{}]*)}}");

    /** A suite ready to run: its name, settings and the argv with every argument substituted. */
    public record Prepared(String name, SuiteConfig.Suite suite, List<String> argv) {
    }

    /**
     * What a run did. {@code exitCode} is null when it was killed at its timeout. {@code reportProblems} names
     * reports that could not be read; {@code staleIgnored} counts matching files that predate the run.
     */
    public record Run(String suite, List<String> argv, Integer exitCode, boolean timedOut, int killed, Duration wallClock,
                      OutputTail output, int reports, int staleIgnored, List<String> reportProblems, JUnitReports.Counts counts) {
    }

    private final SuiteConfig config;
    private final Map<String, ReentrantLock> busy = new ConcurrentHashMap<>();

    public SuiteRunner(SuiteConfig config) {
        this.config = config;
    }

    /** Refuses (non-retryable, before anything runs) an unknown suite, an undeclared or non-matching argument, a missing one. */
    public Prepared prepare(String name, Map<String, String> args) throws TaskFailure {
        SuiteConfig.Suite suite = config.suites().get(name);
        if (suite == null) {
            throw new TaskFailure("suite '" + name + "' is not configured on this worker (configured: "
                    + new TreeSet<>(config.suites().keySet()) + ")", false);
        }
        for (Map.Entry<String, String> a : new java.util.TreeMap<>(args).entrySet()) {
            String regex = suite.arguments().get(a.getKey());
            if (regex == null) {
                throw new TaskFailure("suite '" + name + "' does not take argument '" + a.getKey() + "' (declared: "
                        + new TreeSet<>(suite.arguments().keySet()) + ")", false);
            }
            boolean matches;
            try {
                matches = Pattern.compile(regex).matcher(a.getValue()).matches();
            } catch (PatternSyntaxException e) {
                throw new TaskFailure("suite '" + name + "': argument '" + a.getKey() + "' has an invalid pattern in the worker's "
                        + "configuration (cyclefleet.suites." + name + ".arguments." + a.getKey() + "): " + e.getDescription(), false);
            }
            if (!matches) {
                throw new TaskFailure("suite '" + name + "': argument '" + a.getKey() + "' value '" + a.getValue()
                        + "' does not match " + regex, false);
            }
        }
        String template = suite.command().strip();
        if (template.isEmpty()) {
            throw new TaskFailure("suite '" + name + "' has an empty command in the worker's configuration", false);
        }
        List<String> argv = new ArrayList<>();
        for (String element : template.split("\\s+")) {
            Matcher m = PLACEHOLDER.matcher(element);
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                String arg = m.group(1);
                String value = args.get(arg);
                if (value == null) {
                    throw new TaskFailure("suite '" + name + "': argument '" + arg + "' is required by its command but was not given"
                            + (suite.arguments().containsKey(arg) ? "" : " (nor is it declared in cyclefleet.suites." + name + ".arguments)"),
                            false);
                }
                // One pass: a value is inserted as it is, never read again as a template or split.
                m.appendReplacement(out, Matcher.quoteReplacement(value));
            }
            m.appendTail(out);
            argv.add(out.toString());
        }
        return new Prepared(name, suite, List.copyOf(argv));
    }

    /**
     * Runs a prepared suite. Runs of one suite with a working directory are serialised on this worker, since
     * they would share its report files. Throws InterruptedException (after killing the process tree) when
     * the thread is interrupted.
     */
    public Run run(Prepared p) throws TaskFailure, InterruptedException {
        SuiteConfig.Suite s = p.suite();
        if (s.workingDirectory().isEmpty()) {
            Path dir;
            try {
                dir = Files.createTempDirectory("cyclefleet-suite-" + p.name() + "-");
            } catch (IOException e) {
                throw new TaskFailure("suite '" + p.name() + "': cannot create a working directory: " + e, true);
            }
            try {
                return runIn(p, dir);
            } finally {
                deleteTree(dir);
            }
        }
        Path dir = Path.of(s.workingDirectory().get()).toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            throw new TaskFailure("suite '" + p.name() + "': working directory " + dir + " does not exist on this worker", false);
        }
        ReentrantLock lock = busy.computeIfAbsent(p.name(), n -> new ReentrantLock());
        lock.lockInterruptibly();
        try {
            return runIn(p, dir);
        } finally {
            lock.unlock();
        }
    }

    private Run runIn(Prepared p, Path dir) throws TaskFailure, InterruptedException {
        SuiteConfig.Suite s = p.suite();
        ReportFinder finder = new ReportFinder(dir, s.reports());
        Map<Path, Stamp> before = finder.find();
        ProcessBuilder pb = new ProcessBuilder(p.argv()).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().keySet().retainAll(PASSED_ON);
        pb.environment().putAll(s.environment());
        OutputTail output = new OutputTail(OUTPUT_CAP);
        long start = System.nanoTime();
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new TaskFailure("suite '" + p.name() + "': cannot start " + p.argv().get(0) + " in " + dir + ": " + e.getMessage(), false);
        }
        Thread reader = new Thread(() -> output.pump(process.getInputStream()), "suite-" + p.name() + "-output");
        reader.setDaemon(true);
        reader.start();
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // no stdin for suites; a process that already exited has closed it itself
        }
        boolean exited;
        try {
            exited = process.waitFor(s.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            killTree(process);
            Thread.currentThread().interrupt();
            throw e;
        }
        int killed = exited ? 0 : killTree(process);
        Duration wall = Duration.ofNanos(System.nanoTime() - start);
        reader.join(OUTPUT_DRAIN.toMillis());
        if (reader.isAlive()) {
            // Something the suite started outlived it and still holds its output open: stop reading.
            try {
                process.getInputStream().close();
            } catch (IOException ignored) {
                // nothing more to read
            }
        }
        Map<Path, Stamp> after = finder.find();
        List<Path> fresh = new ArrayList<>();
        int stale = 0;
        for (Map.Entry<Path, Stamp> f : after.entrySet()) {
            if (f.getValue().equals(before.get(f.getKey()))) {
                stale++; // there before the run and not rewritten by it
            } else {
                fresh.add(f.getKey());
            }
        }
        fresh.sort(Comparator.naturalOrder());
        JUnitReports.Counts counts = JUnitReports.Counts.NONE;
        List<String> problems = new ArrayList<>();
        if (finder.truncated) {
            problems.add("more than " + MAX_REPORTS + " files match " + s.reports() + "; only the first " + MAX_REPORTS + " were considered");
        }
        for (Path f : fresh) {
            try {
                counts = counts.plus(JUnitReports.parse(f));
            } catch (JUnitReports.BadReport e) {
                problems.add(dir.relativize(f) + " " + e.getMessage());
            } catch (IOException e) {
                problems.add(dir.relativize(f) + " is unreadable: " + e);
            }
        }
        return new Run(p.name(), p.argv(), exited ? process.exitValue() : null, !exited, killed, wall, output, fresh.size(), stale,
                List.copyOf(problems), counts);
    }

    /**
     * Stops the process and every process it started (asked first, then forced after a grace period); returns
     * how many processes were stopped. Descendants are listed before the parent dies: afterwards they belong
     * to init and can no longer be found from it.
     */
    static int killTree(Process process) {
        Set<ProcessHandle> tree = new LinkedHashSet<>();
        tree.add(process.toHandle());
        process.descendants().forEach(tree::add);
        tree.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + KILL_GRACE.toNanos();
        boolean interrupted = Thread.interrupted();
        try {
            while (!interrupted && tree.stream().anyMatch(SuiteRunner::running) && System.nanoTime() < deadline) {
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
            try {
                process.waitFor(KILL_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                interrupted = true;
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
        } catch (java.nio.file.NoSuchFileException e) {
            return !Files.isDirectory(Path.of("/proc/self")); // on Linux: gone in between; elsewhere: no /proc to ask
        } catch (IOException | RuntimeException e) {
            return true;
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException | RuntimeException e) {
            // a temporary directory left behind is not the step's failure
        }
    }

    /** A report file's identity for "did this run write it": modification time and size. */
    record Stamp(FileTime modified, long size) {
    }

    /** Files under a directory matching the suite's report glob (a leading {@code **}{@code /} also matches at the top). */
    static final class ReportFinder {
        private final Path dir;
        private final PathMatcher glob;
        private final PathMatcher top;
        boolean truncated;

        ReportFinder(Path dir, String pattern) {
            this.dir = dir;
            this.glob = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
            this.top = pattern.startsWith("**/") ? FileSystems.getDefault().getPathMatcher("glob:" + pattern.substring(3)) : null;
        }

        Map<Path, Stamp> find() {
            Map<Path, Stamp> found = new HashMap<>();
            truncated = false;
            try {
                Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                        Path rel = dir.relativize(file);
                        if (attrs.isRegularFile() && (glob.matches(rel) || (top != null && top.matches(rel)))) {
                            if (found.size() >= MAX_REPORTS) {
                                truncated = true;
                                return FileVisitResult.TERMINATE;
                            }
                            found.put(file, new Stamp(attrs.lastModifiedTime(), attrs.size()));
                        }
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path file, IOException e) {
                        return FileVisitResult.CONTINUE;
                    }
                });
            } catch (IOException e) {
                // what was found so far stands; an unreadable corner holds no report of ours
            }
            return found;
        }
    }
}
