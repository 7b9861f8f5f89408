package io.cyclefleet.upgrade;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cyclefleet.support.Scripts;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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
        Scripts.Run run = Scripts.run("upgrade-check", List.of("--no-build"), Map.of("CYCLEFLEET_PORT", "8096"),
                Path.of("target", "upgrade-it.log"), Duration.ofMinutes(10));
        String out = run.output();
        assertTrue(run.finished(), "the upgrade check did not finish within 10 minutes:\n" + out);
        assertEquals(0, run.exit(), "the upgrade check failed:\n" + out);
        Matcher m = Pattern.compile("upgraded from=\\S+ schema=V(\\d+)->V(\\d+) cycles=(\\d+) unfinished_at_stop=(\\d+) succeeded=(\\d+)")
                .matcher(out);
        assertTrue(m.find(), "no result line:\n" + out);
        assertTrue(Integer.parseInt(m.group(2)) > Integer.parseInt(m.group(1)), "the schema moved: " + m.group());
        assertTrue(Integer.parseInt(m.group(4)) > 0, "cycles were mid-way at the upgrade: " + m.group());
        assertEquals(m.group(3), m.group(5), "every cycle succeeded: " + m.group());
    }
}
