package dev.tenantry.catalog;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;
import org.jdbi.v3.core.statement.StatementException;

/** Small shared pieces of the JDBC stores. */
final class Sql {
    private Sql() {}

    /** Whether a failed statement broke the unique constraint (or index) of this name. */
    static boolean violates(StatementException e, String constraint) {
        Throwable cause = e.getCause();
        return cause instanceof SQLException sql && "23505".equals(sql.getSQLState())
                && sql.getMessage() != null && sql.getMessage().contains(constraint);
    }

    static Instant instant(ResultSet rs, String column) throws SQLException {
        return rs.getTimestamp(column).toInstant();
    }

    static Optional<Instant> optionalInstant(ResultSet rs, String column) throws SQLException {
        Timestamp ts = rs.getTimestamp(column);
        return ts == null ? Optional.empty() : Optional.of(ts.toInstant());
    }

    static Timestamp timestamp(Instant instant) {
        return Timestamp.from(instant);
    }
}
