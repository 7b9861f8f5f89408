package io.cyclefleet.support;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/** Direct reads of the system of record, independent of the API under test. */
public final class Db {

    /** The test profile's database, unless the run points the orchestrator elsewhere (-D or environment). */
    public static final String URL = System.getProperty("quarkus.datasource.jdbc.url",
            System.getenv().getOrDefault("QUARKUS_DATASOURCE_JDBC_URL", "jdbc:postgresql://127.0.0.1:5432/test"));

    private Db() {
    }

    public static Connection connect() throws SQLException {
        return DriverManager.getConnection(URL, "postgres", "");
    }

    public static long count(String sql, Object... args) {
        return run(sql, args, ps -> {
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    /** The first column of every row. */
    public static java.util.List<Long> longs(String sql, Object... args) {
        return run(sql, args, ps -> {
            java.util.List<Long> out = new java.util.ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getLong(1));
                }
            }
            return out;
        });
    }

    public static int update(String sql, Object... args) {
        return run(sql, args, PreparedStatement::executeUpdate);
    }

    private interface Statement<T> {
        T apply(PreparedStatement ps) throws SQLException;
    }

    private static <T> T run(String sql, Object[] args, Statement<T> body) {
        try (Connection c = connect(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            return body.apply(ps);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
