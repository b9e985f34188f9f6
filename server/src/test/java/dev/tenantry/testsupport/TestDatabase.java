package dev.tenantry.testsupport;

import dev.tenantry.provision.PgHba;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One real PostgreSQL (embedded binaries) per test JVM, started on first use; every caller gets
 * a fresh, empty database on it, so test classes never see each other's data. Authentication is
 * real, as in the product: the superuser {@code postgres} is trusted from loopback, every other
 * role must give its password.
 */
public final class TestDatabase {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static EmbeddedPostgres server;

    private TestDatabase() {}

    static synchronized EmbeddedPostgres server() {
        if (server == null) {
            try {
                server = EmbeddedPostgres.builder().setServerConfig("max_connections", "400").start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            EmbeddedPostgres started = server;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    started.close();
                } catch (IOException ignored) {
                    // JVM is exiting
                }
            }));
            try (Connection c = server.getPostgresDatabase().getConnection()) {
                PgHba.requirePasswords(c);
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }
        return server;
    }

    /** JDBC URL of a new empty database (user postgres, no password). */
    public static String newDatabase() {
        String name = "t" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
        try (Connection c = server().getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("create database " + name);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return "jdbc:postgresql://127.0.0.1:" + server().getPort() + "/" + name;
    }

    /** The port the shared server listens on (127.0.0.1). */
    public static int port() {
        return server().getPort();
    }

    /** JDBC URL of the server's {@code postgres} database (user postgres, no password). */
    public static String adminUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port() + "/postgres";
    }
}
