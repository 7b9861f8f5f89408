package io.cyclefleet.db;

import java.sql.SQLException;

/** Postgres could not be reached or refused a statement. Carries the SQLState for callers that retry. */
public class StoreException extends RuntimeException {

    private final String sqlState;

    public StoreException(SQLException cause) {
        super(cause.getMessage(), cause);
        this.sqlState = cause.getSQLState();
    }

    public String sqlState() {
        return sqlState;
    }

    /** Connection failures (08xxx), serialization failures and deadlocks: worth trying again. */
    public boolean isTransient() {
        return sqlState == null || sqlState.startsWith("08") || sqlState.startsWith("57P")
                || "40001".equals(sqlState) || "40P01".equals(sqlState);
    }
}
