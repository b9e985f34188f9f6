package dev.tenantry.platform;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;

/** The catalog database: a connection pool, migrated by Flyway, queried through JDBI. */
public final class Database implements AutoCloseable {
    private final HikariDataSource pool;
    private final Jdbi jdbi;
    private final String jdbcUrl;
    private final String user;
    private final String password;

    private Database(HikariDataSource pool, String jdbcUrl, String user, String password) {
        this.pool = pool;
        this.jdbi = Jdbi.create(pool);
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
    }

    /** Connects, migrates the schema to the newest version, and returns the pool. */
    public static Database connect(String jdbcUrl, String user, String password, int poolSize) {
        return connect(jdbcUrl, user, password, poolSize, true);
    }

    /**
     * Connects; with {@code migrate} the schema is brought to the newest version, without it (a
     * data-plane node, which only reads) it must already hold the tenant-context feed.
     */
    public static Database connect(String jdbcUrl, String user, String password, int poolSize, boolean migrate) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setUsername(user);
        config.setPassword(password);
        config.setMaximumPoolSize(poolSize);
        config.setMinimumIdle(Math.min(4, poolSize));
        config.setPoolName("catalog");
        config.setConnectionTimeout(10_000);
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new PlatformException.DatabaseUnavailable("cannot connect to the catalog database at " + jdbcUrl + ": " + rootMessage(e), e);
        }
        try {
            if (migrate) {
                migrate(pool);
            } else {
                requireSchema(pool, jdbcUrl);
            }
        } catch (PlatformException e) {
            pool.close();
            throw e;
        } catch (RuntimeException e) {
            pool.close();
            throw new PlatformException.DatabaseUnavailable("cannot migrate the catalog schema at " + jdbcUrl + ": " + rootMessage(e), e);
        }
        return new Database(pool, jdbcUrl, user, password);
    }

    private static void requireSchema(DataSource dataSource, String jdbcUrl) {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.executeQuery("select last from context_sequence").close();
        } catch (SQLException e) {
            throw new PlatformException.DatabaseUnavailable("the catalog at " + jdbcUrl + " has no tenant-context feed yet ("
                    + e.getMessage() + "): start a node with the api or scheduler role first, it migrates the schema", e);
        }
    }

    private static void migrate(DataSource dataSource) {
        Flyway.configure().dataSource(dataSource).locations("classpath:db/migration")
                .failOnMissingLocations(true).load().migrate();
    }

    /** Creates the database on the server if it is not there (used for the embedded server). */
    public static void ensureDatabase(String serverUrl, String user, String password, String name) {
        try (Connection c = DriverManager.getConnection(serverUrl, user, password);
             Statement s = c.createStatement()) {
            var rs = s.executeQuery("select 1 from pg_database where datname = '" + name.replace("'", "''") + "'");
            if (!rs.next()) {
                s.execute("create database \"" + name.replace("\"", "\"\"") + "\"");
            }
        } catch (SQLException e) {
            throw new PlatformException.DatabaseUnavailable("cannot create database " + name + ": " + e.getMessage(), e);
        }
    }

    /** A connection outside the pool, for a long-lived session such as LISTEN; the caller closes it. */
    public Connection openDirect(String applicationName) throws SQLException {
        java.util.Properties props = new java.util.Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        props.setProperty("ApplicationName", applicationName);
        props.setProperty("connectTimeout", "5");
        props.setProperty("socketTimeout", "10");
        props.setProperty("tcpKeepAlive", "true");
        return DriverManager.getConnection(jdbcUrl, props);
    }

    public Jdbi jdbi() {
        return jdbi;
    }

    public DataSource dataSource() {
        return pool;
    }

    /** Whether the database answers a trivial query within a second. */
    public boolean healthy() {
        try (Connection c = pool.getConnection()) {
            return c.isValid(1);
        } catch (SQLException e) {
            return false;
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }

    @Override
    public void close() {
        pool.close();
    }
}
