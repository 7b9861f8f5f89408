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

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed");
        }
    }
}
