package io.cyclefleet.suite;

import io.cyclefleet.outbound.Commands;
import io.cyclefleet.outbound.OutputTail;
import io.cyclefleet.run.TaskFailure;
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
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Stream;

/**
 * Runs a configured suite: checks the step's arguments against the suite's declarations, builds the argv from
 * its template and runs it with {@link Commands} (no shell, a small environment, the suite's timeout, the
 * process and everything it started killed on timeout or interrupt) in the suite's working directory or a
 * fresh one, and reads the JUnit reports this run wrote.
 */
@ApplicationScoped
public class SuiteRunner {

    public static final int MAX_REPORTS = 1000;

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
        if (suite.command().isBlank()) {
            throw new TaskFailure("suite '" + name + "' has an empty command in the worker's configuration", false);
        }
        List<String> argv = Commands.argv(suite.command(), args, arg -> new TaskFailure("suite '" + name + "': argument '" + arg
                + "' is required by its command but was not given"
                + (suite.arguments().containsKey(arg) ? "" : " (nor is it declared in cyclefleet.suites." + name + ".arguments)"), false));
        return new Prepared(name, suite, argv);
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
        Commands.Ran ran;
        try {
            ran = Commands.run(p.argv(), dir, s.environment(), s.timeout());
        } catch (IOException e) {
            throw new TaskFailure("suite '" + p.name() + "': cannot start " + p.argv().get(0) + " in " + dir + ": " + e.getMessage(), false);
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
        return new Run(p.name(), p.argv(), ran.exitCode(), ran.timedOut(), ran.killed(), ran.wallClock(), ran.output(), fresh.size(),
                stale, List.copyOf(problems), counts);
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
