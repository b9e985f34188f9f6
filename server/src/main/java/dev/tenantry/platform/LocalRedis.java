package dev.tenantry.platform;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local {@code redis-server} for {@code tenantry up}: data, ACL file and admin password in
 * {@code <data-dir>/redis}, loopback only, stopped with the node. Started only when one is on the
 * PATH and no {@code --redis-url} is configured.
 */
final class LocalRedis implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalRedis.class);
    private final Process process;
    private final int port;
    private final String password;

    private LocalRedis(Process process, int port, String password) {
        this.process = process;
        this.port = port;
        this.password = password;
    }

    /** The redis-server binary on the PATH, if there is one. */
    static Optional<Path> binary() {
        String path = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        for (String dir : path.split(":")) {
            Path candidate = Path.of(dir, "redis-server");
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    static LocalRedis start(Path binary, Path dir) {
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------")); // ACL hashes, data, password
            String password = adminPassword(dir.resolve("admin.password"));
            Path acl = dir.resolve("users.acl");
            if (!Files.exists(acl)) {
                Files.writeString(acl, "user default on #" + sha256Hex(password) + " ~* &* +@all\n");
            }
            stopOrphan(dir);
            int port = freePort();
            Path conf = dir.resolve("redis.conf");
            Files.writeString(conf, String.join("\n", List.of(
                    "bind 127.0.0.1", "port " + port, "protected-mode yes", "dir " + dir, "aclfile " + acl,
                    "appendonly yes", "save 60 1", "pidfile " + dir.resolve("redis.pid"), "daemonize no",
                    "logfile " + dir.resolve("redis.log"))) + "\n");
            Process process = new ProcessBuilder(binary.toString(), conf.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("redis.out").toFile()).start();
            awaitPort(port, process, dir);
            return new LocalRedis(process, port, password);
        } catch (IOException e) {
            throw new PlatformException.DatabaseUnavailable("cannot start redis-server in " + dir + ": " + e.getMessage(), e);
        }
    }

    private static String adminPassword(Path file) throws IOException {
        Optional<String> kept = SecretFiles.read(file);
        if (kept.isPresent()) {
            return kept.get();
        }
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        return SecretFiles.write(file, HexFormat.of().formatHex(bytes));
    }

    private static String sha256Hex(String text) {
        try {
            return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A node killed with -9 leaves its redis-server running; stop the one whose config is ours. */
    private static void stopOrphan(Path dir) throws IOException {
        Path pidFile = dir.resolve("redis.pid");
        if (!Files.isRegularFile(pidFile)) {
            return;
        }
        String text = Files.readString(pidFile).trim();
        if (!text.matches("[0-9]{1,9}")) {
            return;
        }
        ProcessHandle.of(Long.parseLong(text)).filter(ProcessHandle::isAlive)
                .filter(p -> p.info().commandLine().map(c -> c.contains("redis")).orElse(false)) // redis rewrites its argv
                .ifPresent(p -> {
                    LOG.warn("stopping an orphaned redis-server (pid {}) left by a node that did not shut down", p.pid());
                    p.destroy();
                    try {
                        p.onExit().get(10, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        p.destroyForcibly();
                    }
                });
    }

    private static void awaitPort(int port, Process process, Path dir) throws IOException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(15));
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IOException("redis-server exited at start (see " + dir.resolve("redis.log") + ")");
            }
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return;
            } catch (IOException notYet) {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted");
                }
            }
        }
        process.destroyForcibly();
        throw new IOException("redis-server did not listen on port " + port + " within 15 s");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    int port() {
        return port;
    }

    String password() {
        return password;
    }

    /** redis://default:password@127.0.0.1:port */
    String url() {
        return "redis://default:" + password + "@127.0.0.1:" + port;
    }

    @Override
    public void close() {
        process.destroy(); // SIGTERM: redis saves and exits
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
