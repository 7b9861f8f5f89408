package io.cyclefleet.testing;

import java.util.function.Supplier;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * For tests of real components that need a tool of the machine (kubectl, promtool, Prometheus, Chromium, faketime,
 * network namespaces, coreutils timeout, a TLS-capable redis-server): skipped where the tool is missing, but failed
 * under {@code CI=true}, where {@code .ci/run} installs every one of them, so a failed install cannot leave the
 * build green with the test skipped.
 */
public final class RequiredTools {

    private RequiredTools() {
    }

    /** Goes on when {@code present}; otherwise skips (or, under CI, fails) saying what is missing. */
    public static void require(boolean present, Supplier<String> missing) {
        if (!present) {
            missing(missing.get());
        }
    }

    public static void require(boolean present, String missing) {
        require(present, () -> missing);
    }

    /** Skips (or, under CI, fails) the test: {@code why} names the missing tool and how to get it. */
    public static void missing(String why) {
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            Assertions.fail(why + " (CI=true: .ci/run installs the tools the tests need, so a missing one fails the test)");
        }
        Assumptions.abort(why);
    }
}
