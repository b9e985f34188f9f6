package dev.tenantry.provision;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.postgresql.PGConnection;

/**
 * An administrator's session on one database of one server, for the postgres driver. Statements
 * run in auto-commit (CREATE DATABASE needs it). Identifiers are always double-quoted; values go
 * through bind parameters; passwords are hashed (SCRAM) on our side before they reach the server.
 */
final class PgAdmin implements AutoCloseable {
    private final PostgresServer server;
    private final String database;
    private final Connection connection;

    private PgAdmin(PostgresServer server, String database, Connection connection) {
        this.server = server;
        this.database = database;
        this.connection = connection;
    }

    /** Connects as the server's administrator to {@code database}. */
    static PgAdmin open(PostgresServer server, String database) {
        Properties props = new Properties();
        props.setProperty("user", server.adminUser());
        props.setProperty("password", server.adminPassword());
        props.setProperty("connectTimeout", "10");
        props.setProperty("socketTimeout", "300");
        props.setProperty("ApplicationName", "tenantry-provision");
        try {
            return new PgAdmin(server, database, DriverManager.getConnection(server.adminUrl(database), props));
        } catch (SQLException e) {
            throw new ProvisionException("cannot connect to postgres server " + server.name() + ", database " + database
                    + " as " + server.adminUser() + ": " + describe(e), e);
        }
    }

    /** A double-quoted SQL identifier. */
    static String ident(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    /** Runs one statement; {@code what} names the step in the error (never the SQL, which may hold a secret). */
    void exec(String what, String sql) {
        try (Statement s = connection.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw failure(what, e);
        }
    }

    /** Runs one statement, ignoring the failure with this SQLState (e.g. 42710, already exists). */
    void execIgnoring(String sqlState, String what, String sql) {
        try (Statement s = connection.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            if (!sqlState.equals(e.getSQLState())) {
                throw failure(what, e);
            }
        }
    }

    /** Whether the query with one text parameter returns a row. */
    boolean exists(String sql, String parameter) {
        return !strings(sql, parameter).isEmpty();
    }

    /** The first column of every row of a query with optional text parameters. */
    List<String> strings(String sql, String... parameters) {
        try (PreparedStatement s = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                s.setString(i + 1, parameters[i]);
            }
            List<String> out = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
            return out;
        } catch (SQLException e) {
            throw failure("query", e);
        }
    }

    /**
     * Runs {@code work} holding a session advisory lock of this database. Concurrent GRANT/REVOKE
     * on one object (the pool database's ACL) fail with "tuple concurrently updated"; the lock
     * takes turns instead.
     */
    void locked(long key, Runnable work) {
        strings("select pg_advisory_lock(" + key + ")::text");
        try {
            work.run();
        } finally {
            strings("select pg_advisory_unlock(" + key + ")::text");
        }
    }

    boolean roleExists(String role) {
        return exists("select 1 from pg_roles where rolname = ?", role);
    }

    boolean databaseExists(String name) {
        return exists("select 1 from pg_database where datname = ?", name);
    }

    /** Sets a role's password as a SCRAM-SHA-256 verifier computed here, so the plaintext never reaches the server. */
    void setPassword(String role, String password) {
        char[] chars = password.toCharArray();
        try {
            connection.unwrap(PGConnection.class).alterUserPassword(role, chars, "scram-sha-256");
        } catch (SQLException e) {
            throw failure("set the password of role " + role, e);
        } finally {
            java.util.Arrays.fill(chars, '\0');
        }
    }

    /** Ends every session of {@code role} (waiting up to 5 s for each), except this one. */
    void terminateSessions(String role) {
        strings("select pg_terminate_backend(pid, 5000)::text from pg_stat_activity where usename = ? and pid <> pg_backend_pid()", role);
    }

    private ProvisionException failure(String what, SQLException e) {
        return new ProvisionException("postgres server " + server.name() + ", database " + database + ": cannot " + what
                + ": " + describe(e), e);
    }

    static String describe(SQLException e) {
        return e.getMessage() + (e.getSQLState() == null ? "" : " (SQLState " + e.getSQLState() + ")");
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (SQLException ignored) {
            // the session is over either way
        }
    }
}
