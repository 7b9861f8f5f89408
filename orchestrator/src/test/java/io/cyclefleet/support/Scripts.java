package io.cyclefleet.support;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs one of the repository's scripts as an operator would, its output in a log file, within a deadline. */
public final class Scripts {

    /** {@code finished} false: killed at the deadline (then {@code exit} is -1). */
    public record Run(boolean finished, int exit, String output) {
    }

    private Scripts() {
    }

    /** Runs {@code bash scripts/<script> args...} from the repository's root with {@code environment} added. */
    public static Run run(String script, List<String> args, Map<String, String> environment, Path log, Duration max) throws Exception {
        Path root = Path.of("..").toAbsolutePath().normalize();
        List<String> command = new java.util.ArrayList<>(List.of("bash", "scripts/" + script));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toAbsolutePath().toFile());
        pb.environment().putAll(environment);
        Process p = pb.start();
        boolean done = p.waitFor(max.toMillis(), TimeUnit.MILLISECONDS);
        if (!done) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        return new Run(done, done ? p.exitValue() : -1, Files.readString(log));
    }
}
