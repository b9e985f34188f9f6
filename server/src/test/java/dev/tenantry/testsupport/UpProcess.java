package dev.tenantry.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code tenantry up} as a real child process with the test classpath: its own data directory
 * (so its own embedded PostgreSQL and, with redis-server installed, its own local Redis), output
 * in a file, the CLI config in a temporary file. {@link #kill()} is kill -9; {@link #stop()} is
 * SIGTERM. {@link #close()} also stops a PostgreSQL or redis-server that a killed node left
 * running (those {@link #servers()} named when it was killed, and those the pid files name now).
 */
public final class UpProcess implements AutoCloseable {
    private static final Pattern API_URL = Pattern.compile("Control-plane API:\\s+(http://\\S+)");
    /** The banner's last line: once it is there, so is the rest of the banner. */
    private static final String BANNER_END = "Stop: Ctrl-C";
    private static final Pattern TOKEN = Pattern.compile("Admin token:\\s+(tad_\\S+)");
    private static final Duration START_WAIT = Duration.ofSeconds(90);
    private final Process process;
    private final Path dataDir;
    private final Path log;
    private final URI url;
    private final List<ProcessHandle> leftAtKill = new ArrayList<>();

    private UpProcess(Process process, Path dataDir, Path log, URI url) {
        this.process = process;
        this.dataDir = dataDir;
        this.log = log;
        this.url = url;
    }

    /**
     * Starts {@code up --data-dir dataDir --api-port 0} plus {@code flags} (e.g. {@code --provision-threads 4})
     * and waits (bounded) until it has printed its whole banner (API URL, token line, ...). Inherited {@code TENANTRY_*} variables are
     * dropped so the child runs on its defaults and the flags only.
     */
    public static UpProcess start(Path dataDir, Path clientConfig, List<String> flags) {
        try {
            Files.createDirectories(dataDir);
            Path log = Files.createTempFile(dataDir.getParent(), "up", ".log");
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx512m", "-cp", System.getProperty("java.class.path"), "dev.tenantry.platform.Main",
                    "up", "--data-dir", dataDir.toString(), "--api-port", "0", "--gateway-port", "0"));
            command.addAll(flags);
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            Map<String, String> env = pb.environment();
            env.keySet().removeIf(k -> k.startsWith("TENANTRY_"));
            env.put("TENANTRY_CLIENT_CONFIG", clientConfig.toString());
            Process p = pb.start();
            long deadline = System.nanoTime() + START_WAIT.toNanos();
            while (System.nanoTime() < deadline && p.isAlive()) {
                String printed = Files.readString(log);
                Matcher m = API_URL.matcher(printed);
                if (m.find() && printed.contains(BANNER_END)) { // the whole banner, the token line included
                    return new UpProcess(p, dataDir, log, URI.create(m.group(1) + "/"));
                }
                Thread.sleep(100);
            }
            p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            throw new AssertionError("tenantry up did not print its API URL within " + START_WAIT.toSeconds() + " s (alive: "
                    + p.isAlive() + "):\n" + Files.readString(log));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public URI url() {
        return url;
    }

    /** A client with this token. */
    public Http http(String token) {
        return new Http(url, Optional.of(token));
    }

    /** The admin token printed on a first start. */
    public Optional<String> printedToken() {
        Matcher m = TOKEN.matcher(output());
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /** Everything the process printed so far. */
    public String output() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(output unreadable: " + e.getMessage() + ")";
        }
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** kill -9 of the node (its PostgreSQL and redis-server keep running, as after a real crash); waits for it to die. */
    public void kill() {
        leftAtKill.addAll(servers());
        process.destroyForcibly();
        await(Duration.ofSeconds(30));
    }

    /** SIGTERM, then waits (bounded) for a clean exit; returns the exit code. */
    public int stop() {
        process.destroy();
        if (!await(Duration.ofSeconds(60))) {
            throw new AssertionError("tenantry up did not stop within 60 s of SIGTERM:\n" + output());
        }
        return process.exitValue();
    }

    private boolean await(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The password of the embedded PostgreSQL's superuser, postgres. */
    public String postgresPassword() {
        try {
            return Files.readString(dataDir.resolve("postgres-superuser-password")).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The port of the node's embedded PostgreSQL (line 4 of its postmaster.pid), on 127.0.0.1. */
    public int postgresPort() {
        List<String> lines = pidFile(dataDir.resolve("postgres/postmaster.pid"));
        if (lines.size() < 4) {
            throw new AssertionError("the embedded PostgreSQL of " + dataDir + " is not running (no complete postmaster.pid)");
        }
        return Integer.parseInt(lines.get(3).trim());
    }

    /** The local redis-server's admin password (user default). */
    public String redisAdminPassword() {
        try {
            return Files.readString(dataDir.resolve("redis/admin.password")).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The node's embedded PostgreSQL and local redis-server as they run now, found by the pid files
     * in its data directory. (Where redis-server is a link to redis-check-rdb, the process reports
     * that name, so the check is for "redis".)
     */
    public List<ProcessHandle> servers() {
        List<ProcessHandle> found = new ArrayList<>();
        running(dataDir.resolve("postgres/postmaster.pid"), "postgres").ifPresent(found::add);
        running(dataDir.resolve("redis/redis.pid"), "redis").ifPresent(found::add);
        return found;
    }

    /** Kills the node if it still runs, then any PostgreSQL or redis-server it left behind. */
    @Override
    public void close() {
        if (process.isAlive()) {
            kill();
        }
        List<ProcessHandle> leftovers = new ArrayList<>(leftAtKill);
        leftovers.addAll(servers());
        for (ProcessHandle p : leftovers) {
            if (p.isAlive()) {
                p.destroy();
                try {
                    p.onExit().get(20, TimeUnit.SECONDS);
                } catch (Exception e) {
                    p.destroyForcibly();
                }
            }
        }
    }

    private static Optional<ProcessHandle> running(Path pidFile, String command) {
        List<String> lines = pidFile(pidFile);
        if (lines.isEmpty() || !lines.get(0).trim().matches("[0-9]{1,9}")) {
            return Optional.empty();
        }
        return ProcessHandle.of(Long.parseLong(lines.get(0).trim())).filter(ProcessHandle::isAlive)
                .filter(p -> p.info().commandLine().map(c -> c.contains(command)).orElse(false));
    }

    private static List<String> pidFile(Path file) {
        try {
            return Files.isRegularFile(file) ? Files.readAllLines(file) : List.of();
        } catch (IOException e) {
            return List.of();
        }
    }
}
