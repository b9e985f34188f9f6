package dev.tenantry.platform;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default: real PostgreSQL binaries (from Maven Central) running as a child process
 * on a data directory that survives restarts. Stopped cleanly on close.
 */
final class EmbeddedDatabase implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDatabase.class);
    private final EmbeddedPostgres postgres;

    private EmbeddedDatabase(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    /** Starts PostgreSQL on {@code dir} (created on first use), on a free loopback port. */
    static EmbeddedDatabase start(Path dir) {
        try {
            Files.createDirectories(dir);
            stopOrphan(dir);
            EmbeddedPostgres postgres = EmbeddedPostgres.builder()
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
            return new EmbeddedDatabase(postgres);
        } catch (IOException | RuntimeException e) {
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

    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            LOG.warn("the embedded PostgreSQL did not stop cleanly: {}", e.getMessage());
        }
    }
}
