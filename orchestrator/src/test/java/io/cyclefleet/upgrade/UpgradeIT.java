package io.cyclefleet.upgrade;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * An upgrade in place, after packaging: scripts/upgrade-check builds the previous release from git, lets its fleet
 * write a database and stops it with cycles mid-way, then starts this build on the same database and Redis, which
 * migrates the schema and must finish every cycle. Own port, database, Redis key prefix and run directory.
 */
class UpgradeIT {

    @Test
    void aDatabaseOfThePreviousReleaseWithCyclesRunningIsMigratedAndEveryCycleFinishes() throws Exception {
        Path root = Path.of("..").toAbsolutePath().normalize();
        Path log = Path.of("target", "upgrade-it.log").toAbsolutePath();
        ProcessBuilder pb = new ProcessBuilder("bash", "scripts/upgrade-check", "--no-build").directory(root.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(Map.of("CYCLEFLEET_PORT", "8096"));
        Process p = pb.start();
        boolean done = p.waitFor(10, TimeUnit.MINUTES);
        if (!done) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        String out = Files.readString(log);
        assertTrue(done, "the upgrade check did not finish within 10 minutes:\n" + out);
        assertEquals(0, p.exitValue(), "the upgrade check failed:\n" + out);
        Matcher m = Pattern.compile("upgraded from=\\S+ schema=V(\\d+)->V(\\d+) cycles=(\\d+) unfinished_at_stop=(\\d+) succeeded=(\\d+)")
                .matcher(out);
        assertTrue(m.find(), "no result line:\n" + out);
        assertTrue(Integer.parseInt(m.group(2)) > Integer.parseInt(m.group(1)), "the schema moved: " + m.group());
        assertTrue(Integer.parseInt(m.group(4)) > 0, "cycles were mid-way at the upgrade: " + m.group());
        assertEquals(m.group(3), m.group(5), "every cycle succeeded: " + m.group());
    }
}
