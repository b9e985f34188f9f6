package dev.tenantry.platform;

import dev.tenantry.provision.PgHba;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default: real PostgreSQL binaries (from Maven Central) running as a child process
 * on a data directory that survives restarts. Stopped cleanly on close. Its superuser has a
 * password of its own, kept beside the data directory ({@code postgres-superuser-password}, mode
 * 0600), so that nothing else on the machine gets in through 127.0.0.1 without it.
 */
final class EmbeddedDatabase implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDatabase.class);
    private static final String PASSWORD_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private final EmbeddedPostgres postgres;
    private final String password;

    private EmbeddedDatabase(EmbeddedPostgres postgres, String password) {
        this.postgres = postgres;
        this.password = password;
    }

    /** Starts PostgreSQL on {@code dir} (created on first use), on a free loopback port. */
    static EmbeddedDatabase start(Path dir) {
        try {
            Files.createDirectories(dir);
            stopOrphan(dir);
            String password = superuserPassword(dir.resolveSibling("postgres-superuser-password"), dir.resolve("pg_hba.conf"));
            EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                    .setConnectConfig("password", password) // its own start-up check logs in as the superuser
                    .setDataDirectory(dir)
                    .setCleanDataDirectory(false)
                    .setPort(freePort())
                    .setPGStartupWait(Duration.ofSeconds(60))
                    .setServerConfig("max_connections", "300")
                    // The library's test-friendly defaults turn durability off; this is the product's database.
                    .setServerConfig("fsync", "on")
                    .setServerConfig("synchronous_commit", "on")
                    .setServerConfig("full_page_writes", "on")
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setServerConfig("unix_socket_directories", "")
                    .start();
            EmbeddedDatabase database = new EmbeddedDatabase(postgres, password);
            database.setSuperuserPassword();
            return database;
        } catch (IOException | SQLException | RuntimeException e) {
            throw new PlatformException.DatabaseUnavailable("cannot start the embedded PostgreSQL in " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * A node killed with -9 leaves its PostgreSQL child running and holding the data directory.
     * Our data-directory lock is held, so no node of ours uses it: stop that orphan first.
     */
    private static void stopOrphan(Path dir) throws IOException {
        Path pidFile = dir.resolve("postmaster.pid");
        if (!Files.isRegularFile(pidFile)) {
            return;
        }
        List<String> lines = Files.readAllLines(pidFile);
        Optional<ProcessHandle> orphan = lines.isEmpty() ? Optional.empty()
                : ProcessHandle.of(Long.parseLong(lines.get(0).trim())).filter(ProcessHandle::isAlive)
                .filter(p -> p.info().command().map(c -> c.contains("postgres")).orElse(false))
                .filter(p -> p.info().commandLine().map(c -> c.contains(dir.toString())).orElse(false));
        if (orphan.isEmpty()) {
            return;
        }
        LOG.warn("stopping an orphaned embedded PostgreSQL (pid {}) left by a node that did not shut down", orphan.get().pid());
        orphan.get().destroy();
        try {
            orphan.get().onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            orphan.get().destroyForcibly();
        }
    }

    /**
     * The superuser's password: read from {@code file}, or made (32 random letters and digits) and
     * written there, readable by this user only, on the first start. A server whose {@code hba}
     * already asks the superuser for a password cannot be opened without the file: that is said
     * at once rather than after the server's start-up wait.
     */
    private static String superuserPassword(Path file, Path hba) throws IOException {
        Optional<String> kept = SecretFiles.read(file);
        if (kept.isPresent()) {
            return kept.get();
        }
        if (Files.isRegularFile(hba) && Files.readString(hba).contains(PgHba.PASSWORDS_ONLY_MARK)) {
            throw new PlatformException.DatabaseUnavailable("the embedded PostgreSQL in " + hba.getParent()
                    + " asks its superuser for a password, and " + file + " (where Tenantry keeps it) is missing or empty:"
                    + " restore it from the backup of this data directory", null);
        }
        SecureRandom random = new SecureRandom();
        StringBuilder made = new StringBuilder();
        for (int i = 0; i < 32; i++) {
            made.append(PASSWORD_CHARS.charAt(random.nextInt(PASSWORD_CHARS.length())));
        }
        return SecretFiles.write(file, made.toString());
    }

    /**
     * Gives the superuser its password (a data directory made before it had one still trusts it;
     * pg_hba.conf is then rewritten to ask for it, see PgHba). Idempotent.
     */
    private void setSuperuserPassword() throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl("postgres"), user(), password); Statement s = c.createStatement()) {
            s.execute("alter role " + user() + " password '" + password + "'");
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** JDBC URL of a database on this server. */
    String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/" + database;
    }

    int port() {
        return postgres.getPort();
    }

    String user() {
        return "postgres";
    }

    String password() {
        return password;
    }

    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            LOG.warn("the embedded PostgreSQL did not stop cleanly: {}", e.getMessage());
        }
    }
}
