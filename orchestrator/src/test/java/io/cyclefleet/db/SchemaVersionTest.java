package io.cyclefleet.db;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cyclefleet.support.Db;
import io.cyclefleet.support.WorkerProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/** A process of this build refuses to run on a schema it does not know, and says which side is ahead. */
class SchemaVersionTest {

    private static final String DB = "cyclefleet_schema_check";
    private static final String URL = Db.URL.replaceFirst("/[^/?]+(\\?|$)", "/" + DB + "$1");

    @BeforeAll
    static void scratchDatabase() throws SQLException {
        try (Connection c = Db.connect(); Statement s = c.createStatement()) {
            s.execute("drop database if exists " + DB + " with (force)");
            s.execute("create database " + DB);
        }
    }

    @AfterAll
    static void dropScratchDatabase() throws SQLException {
        try (Connection c = Db.connect(); Statement s = c.createStatement()) {
            s.execute("drop database if exists " + DB + " with (force)");
        }
    }

    @Test
    void theExpectedVersionIsTheNewestMigration() throws IOException {
        Pattern versioned = Pattern.compile("V(\\d+)__.*\\.sql");
        int newest;
        try (Stream<Path> files = Files.list(Path.of("..", "shared-model", "src", "main", "resources", "db", "migration"))) {
            newest = files.map(f -> versioned.matcher(f.getFileName().toString())).filter(Matcher::matches)
                    .mapToInt(m -> Integer.parseInt(m.group(1))).max().orElseThrow();
        }
        assertEquals(newest, SchemaVersion.EXPECTED, "SchemaVersion.EXPECTED must follow the newest migration");
    }

    @Test
    void theReasonSaysWhichSideIsAhead() {
        int v = SchemaVersion.EXPECTED;
        assertEquals(Optional.empty(), SchemaVersion.mismatch(Optional.of(v), "worker"));
        assertTrue(SchemaVersion.mismatch(Optional.of(v - 1), "worker").orElseThrow()
                .contains("older than the V" + v + " this worker needs: upgrade the orchestrator first"));
        assertTrue(SchemaVersion.mismatch(Optional.of(v + 1), "orchestrator").orElseThrow()
                .contains("newer than the V" + v + " this orchestrator understands"));
        assertTrue(SchemaVersion.mismatch(Optional.empty(), "worker").orElseThrow().contains("no cyclefleet schema"));
    }

    @Test
    void theAppliedVersionIsTheNewestSuccessfulVersionedMigration() throws SQLException {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(URL);
        ds.setUser("postgres");
        history(-1);
        assertEquals(Optional.empty(), SchemaVersion.applied(ds), "no history table: no schema");
        history(7);
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            // a repeatable migration has no version; a failed one does not count
            s.execute("insert into flyway_schema_history (version, success) values (null, true), ('9', false)");
        }
        assertEquals(Optional.of(7), SchemaVersion.applied(ds));
    }

    @Test
    void aWorkerRefusesToStartOnANewerSchemaAndOnAnOlderOne() throws Exception {
        history(SchemaVersion.EXPECTED + 1);
        assertTrue(refusal().contains("the database schema is at V" + (SchemaVersion.EXPECTED + 1) + ", newer than the V"
                + SchemaVersion.EXPECTED + " this cyclefleet-worker understands"));
        history(SchemaVersion.EXPECTED - 1);
        assertTrue(refusal().contains("the database schema is at V" + (SchemaVersion.EXPECTED - 1) + ", older than the V"
                + SchemaVersion.EXPECTED + " this cyclefleet-worker needs"));
    }

    /** Starts a worker on the scratch database; returns its log once it has exited, having failed. */
    private static String refusal() throws Exception {
        try (WorkerProcess w = WorkerProcess.builder("schema-check").with("quarkus.datasource.jdbc.url", URL).start()) {
            await("the worker refusing to start").atMost(Duration.ofSeconds(60)).until(() -> !w.isAlive());
            String log = w.log();
            assertNotEquals(0, w.exitCode(), log);
            assertTrue(log.contains("cyclefleet-worker refuses to start"), log);
            return log;
        }
    }

    /** A Flyway history at {@code version} (none at all when negative). */
    private static void history(int version) throws SQLException {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(URL);
        ds.setUser("postgres");
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("drop table if exists flyway_schema_history");
            if (version >= 0) {
                s.execute("create table flyway_schema_history (version varchar(50), success boolean not null)");
                s.execute("insert into flyway_schema_history (version, success) values ('1', true), ('" + version + "', true)");
            }
        }
    }
}
