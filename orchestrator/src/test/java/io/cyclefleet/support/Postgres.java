package io.cyclefleet.support;

import static org.awaitility.Awaitility.await;

import java.io.File;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Stops and starts the local PostgreSQL cluster for real (pg_ctlcluster, as the machine notes do). */
public final class Postgres {

    private Postgres() {
    }

    private static String version() {
        String[] versions = new File("/etc/postgresql").list();
        if (versions == null || versions.length == 0) {
            throw new IllegalStateException("no PostgreSQL cluster under /etc/postgresql");
        }
        return versions[0];
    }

    public static void stop() throws Exception {
        run("pg_ctlcluster", "--skip-systemctl-redirect", version(), "main", "stop", "-m", "fast");
    }

    public static void start() throws Exception {
        run("pg_ctlcluster", "--skip-systemctl-redirect", version(), "main", "start");
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> Db.count("select 1") == 1);
    }

    /** Stops PostgreSQL, checks that it stays unreachable for {@code outage}, and starts it again (also on failure). */
    public static void downFor(Duration outage) throws Exception {
        stop();
        try {
            await().during(outage).atMost(outage.plusSeconds(10)).pollInterval(Duration.ofSeconds(1)).until(() -> !reachable());
        } finally {
            start();
        }
    }

    private static boolean reachable() {
        try {
            return Db.count("select 1") == 1;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed");
        }
    }
}
