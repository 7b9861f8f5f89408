package io.cyclefleet.db;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The schema this build was written for. The orchestrator migrates the database with Flyway at start, which by
 * default ignores migrations newer than its own ({@code *:future}): without this check a rolled-back orchestrator, or
 * a worker left on an older release, would run against tables it does not understand. Both processes check at start
 * and refuse to run, saying which side is ahead.
 */
public final class SchemaVersion {

    /** The highest {@code V<n>__*.sql} in {@code db/migration}; a test keeps the two together. */
    public static final int EXPECTED = 16;

    private SchemaVersion() {
    }

    /** The highest versioned migration applied successfully, or empty when the database has no cyclefleet schema. */
    public static Optional<Integer> applied(DataSource ds) throws SQLException {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("select to_regclass('flyway_schema_history') is not null")) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return Optional.empty();
                }
            }
            // repeatable migrations (R__) have no version
            try (ResultSet rs = s.executeQuery(
                    "select max(version::int) from flyway_schema_history where success and version is not null")) {
                rs.next();
                int v = rs.getInt(1);
                return rs.wasNull() ? Optional.empty() : Optional.of(v);
            }
        }
    }

    /**
     * Why a {@code process} (orchestrator, worker) of this build must not run on a schema at {@code applied}; empty when
     * it may.
     */
    public static Optional<String> mismatch(Optional<Integer> applied, String process) {
        if (applied.isEmpty()) {
            return Optional.of("the database has no cyclefleet schema: start the orchestrator first, it migrates the "
                    + "schema to V" + EXPECTED);
        }
        int at = applied.get();
        if (at < EXPECTED) {
            return Optional.of("the database schema is at V" + at + ", older than the V" + EXPECTED + " this " + process
                    + " needs: upgrade the orchestrator first (it migrates the schema at start), then the workers");
        }
        if (at > EXPECTED) {
            return Optional.of("the database schema is at V" + at + ", newer than the V" + EXPECTED + " this " + process
                    + " understands: a newer release migrated it; run that release or a later one");
        }
        return Optional.empty();
    }

    /** Throws, with the reason, unless this build's {@code process} may run on the database. */
    public static void check(DataSource ds, String process) throws SQLException {
        Optional<String> why = mismatch(applied(ds), process);
        if (why.isPresent()) {
            throw new IllegalStateException(process + " refuses to start: " + why.get());
        }
    }
}
