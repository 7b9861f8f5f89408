package io.cyclefleet.outbound;

import io.cyclefleet.handler.TaskFailure;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs an allowlisted command: an argv template from worker configuration with {@code {{name}}}
 * placeholders filled per argument (never through a shell, so a value cannot add a command), a timeout,
 * and the process tree killed on timeout or interrupt.
 */
public final class Commands {

    /** Exit code and the last 64 KiB of stdout+stderr. */
    public record Ran(int exitCode, String output, double seconds) {
        /** The last non-blank line of the output, e.g. a version a status command printed. */
        public String lastLine() {
            String[] lines = output.strip().split("\\R");
            return lines.length == 0 ? "" : lines[lines.length - 1].strip();
        }
    }

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{([A-Za-z][A-Za-z0-9_]*)}}");
    private static final int MAX_OUTPUT = 64 * 1024;

    private Commands() {
    }

    /** Splits {@code template} on whitespace and fills each {@code {{name}}}; an unfilled one is refused. */
    public static List<String> argv(String template, Map<String, String> values) throws TaskFailure {
        List<String> argv = new ArrayList<>();
        for (String part : template.trim().split("\\s+")) {
            Matcher m = PLACEHOLDER.matcher(part);
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                String value = values.get(m.group(1));
                if (value == null) {
                    throw new TaskFailure("command template '" + template + "' needs {{" + m.group(1) + "}}, which was not given", false);
                }
                m.appendReplacement(out, Matcher.quoteReplacement(value));
            }
            m.appendTail(out);
            argv.add(out.toString());
        }
        return argv;
    }

    public static Ran run(List<String> argv, String workingDirectory, Map<String, String> environment, Duration timeout)
            throws TaskFailure, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
        if (workingDirectory != null) {
            pb.directory(new File(workingDirectory));
        }
        pb.environment().putAll(environment);
        long start = System.nanoTime();
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new TaskFailure("command " + argv.get(0) + ": cannot start: " + e.getMessage(), false);
        }
        StringBuilder tail = new StringBuilder();
        Thread reader = new Thread(() -> drain(p.getInputStream(), tail), "cmd-output-" + p.pid());
        reader.setDaemon(true);
        reader.start();
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                kill(p);
                throw new TaskFailure("command " + argv.get(0) + ": killed after its timeout of " + timeout + "; output: "
                        + abbreviate(text(tail)), true);
            }
            reader.join(2000);
        } catch (InterruptedException e) {
            kill(p);
            throw e;
        }
        return new Ran(p.exitValue(), text(tail), (System.nanoTime() - start) / 1e9);
    }

    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }

    private static void drain(InputStream in, StringBuilder tail) {
        byte[] buf = new byte[8192];
        try (in) {
            int n;
            while ((n = in.read(buf)) > 0) {
                synchronized (tail) {
                    tail.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                    if (tail.length() > 2 * MAX_OUTPUT) {
                        tail.delete(0, tail.length() - MAX_OUTPUT);
                    }
                }
            }
        } catch (IOException ignored) {
            // the process was killed: what was read is kept
        }
    }

    private static String text(StringBuilder tail) {
        synchronized (tail) {
            return tail.length() > MAX_OUTPUT ? tail.substring(tail.length() - MAX_OUTPUT) : tail.toString();
        }
    }

    public static String abbreviate(String s) {
        String t = s.strip();
        return t.length() <= 500 ? t : "…" + t.substring(t.length() - 500);
    }
}
