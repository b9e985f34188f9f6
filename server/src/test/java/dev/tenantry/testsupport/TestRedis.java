package dev.tenantry.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * A real redis-server on a free 127.0.0.1 port, with an ACL file and a password on the default
 * user, in its own temporary directory. It can be stopped and started again on the same port (for
 * failure tests); it is stopped when the JVM exits if the test did not close it.
 */
public final class TestRedis implements AutoCloseable {
    private static final String HOST = "127.0.0.1";
    private static final long START_WAIT_MILLIS = 10_000;
    private final int port;
    private final Path dir;
    private final String adminPassword = "admin-" + UUID.randomUUID().toString().replace("-", "");
    private Process process;

    private TestRedis(int port, Path dir) {
        this.port = port;
        this.dir = dir;
    }

    /** Starts a new server and waits until it answers. */
    public static TestRedis start() {
        try {
            Path dir = Files.createTempDirectory("tenantry-redis");
            TestRedis redis = new TestRedis(freePort(), dir);
            Files.writeString(redis.aclFile(), "user default on >" + redis.adminPassword + " ~* &* +@all\n");
            Runtime.getRuntime().addShutdownHook(new Thread(redis::stop));
            redis.startAgain();
            return redis;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts the server again (same port, same ACL file) after {@link #stop()}; waits until it answers. */
    public synchronized void startAgain() {
        if (process != null && process.isAlive()) {
            return;
        }
        ProcessBuilder pb = new ProcessBuilder(List.of("redis-server",
                "--port", Integer.toString(port), "--bind", HOST, "--protected-mode", "yes",
                "--aclfile", aclFile().toString(), "--dir", dir.toString(),
                "--save", "", "--appendonly", "no", "--daemonize", "no",
                // so that the ACL, not these switches, is what keeps tenants from DEBUG and MODULE
                "--enable-debug-command", "local", "--enable-module-command", "local"))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("redis.log").toFile()));
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start redis-server (is it installed?)", e);
        }
        awaitReady();
    }

    private void awaitReady() {
        long deadline = System.nanoTime() + START_WAIT_MILLIS * 1_000_000;
        JedisException last = null;
        while (System.nanoTime() < deadline && process.isAlive()) {
            try (Jedis j = admin()) {
                j.ping();
                return;
            } catch (JedisException e) {
                last = e;
            }
            sleep(25);
        }
        throw new IllegalStateException("redis-server on port " + port + " did not answer within " + START_WAIT_MILLIS
                + " ms (alive: " + process.isAlive() + "; log in " + dir.resolve("redis.log") + ")", last);
    }

    /** Stops the server (SIGTERM, then SIGKILL after 10 s) and waits for it to exit. */
    public synchronized void stop() {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A new connection as the default (administrator) user; close it. */
    public Jedis admin() {
        return new Jedis(new HostAndPort(HOST, port), DefaultJedisClientConfig.builder()
                .user("default").password(adminPassword).connectionTimeoutMillis(2000).socketTimeoutMillis(5000).build());
    }

    public String host() {
        return HOST;
    }

    public int port() {
        return port;
    }

    public String adminPassword() {
        return adminPassword;
    }

    /** {@code redis://default:<password>@127.0.0.1:<port>}, the form {@code --redis-url} takes. */
    public String url() {
        return "redis://default:" + adminPassword + "@" + HOST + ":" + port;
    }

    public Path aclFile() {
        return dir.resolve("users.acl");
    }

    @Override
    public void close() {
        stop();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            return socket.getLocalPort();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for redis-server", e);
        }
    }
}
