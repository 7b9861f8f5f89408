package io.cyclefleet.suite;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithParentName;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The test suites this worker may run, by name ({@code cyclefleet.suites.<name>.*}). A {@code testing} step
 * picks a name and passes argument values; what runs, where, with which environment and for how long is
 * decided here (invariant 7).
 */
@ConfigMapping(prefix = "cyclefleet.suites")
public interface SuiteConfig {

    @WithParentName
    Map<String, Suite> suites();

    interface Suite {
        /**
         * The argv template, split on whitespace; {@code {{name}}} inside an element is replaced by the value of
         * argument {@code name}. It is executed directly, never through a shell.
         */
        String command();

        /** Where the command runs and reports are looked for; absent: a fresh temporary directory per run. */
        Optional<String> workingDirectory();

        /** Added to the small environment a suite gets (PATH, HOME, LANG, …; never the worker's own secrets). */
        Map<String, String> environment();

        /** After this the command and everything it started are killed and the step fails. */
        @WithDefault("PT10M")
        Duration timeout();

        /** A glob relative to the working directory; a leading {@code **}{@code /} also matches at the top. */
        @WithDefault("**/TEST-*.xml")
        String reports();

        /** Argument name to the regular expression every value must match whole; undeclared arguments are refused. */
        Map<String, String> arguments();
    }
}
