package dev.tenantry.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Starts a new gateway-only node on the loaded catalog and times it from the process start to
 * its first answer that resolves a loaded tenant's host ({@code /problems/no-route}, i.e. found
 * but without routes), then stops it. The node is started by a command the shell harness writes
 * (data directory, API port, gateway port), which runs the launcher with its JVM options; the
 * node's pid is kept in a file so the harness can stop it should this process die.
 */
final class GatewayStart {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    private static final long BOUND_NANOS = TimeUnit.SECONDS.toNanos(60);

    /**
     * One start, in ms from the process start (NaN when unknown): when the launcher exec'd the JVM,
     * when the node had loaded its snapshot (and how long loading took), when it first answered, and
     * the CPU time the node had used by then (all threads; the machine's noise does not change it).
     */
    record Start(double javaAt, double snapshotLoadedAt, double snapshotLoad, double firstAnswer, double cpuAtAnswer,
                 double stop, String error) {
    }

    private final Path command;
    private final Path masterKey;
    private final Path workDir;
    private final String probeHost;
    private final int ticksPerSecond;

    GatewayStart(Path command, Path masterKey, Path workDir, String probeHost, int ticksPerSecond) {
        this.ticksPerSecond = ticksPerSecond;
        this.command = command;
        this.masterKey = masterKey;
        this.workDir = workDir;
        this.probeHost = probeHost;
    }

    /** Start number {@code n}: prepares a fresh data directory (outside the timing), starts, times, stops. */
    Start once(int n) throws IOException, InterruptedException {
        Path dataDir = workDir.resolve("gateway-new-" + n);
        Files.createDirectories(dataDir);
        Path key = dataDir.resolve("master.key");
        Files.copy(masterKey, key, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        int[] ports = freePorts(2);
        Path log = workDir.resolve("gateway-new-" + n + ".log");
        Path pidFile = workDir.resolve("gateway-new.pid");
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), ports[1]);

        long wallStart = System.currentTimeMillis();
        long start = System.nanoTime();
        Process node = new ProcessBuilder(List.of(command.toString(), dataDir.toString(), Integer.toString(ports[0]),
                Integer.toString(ports[1]))).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Files.writeString(pidFile, node.pid() + "\n");
        Thread stopOnExit = new Thread(node::destroy);
        Runtime.getRuntime().addShutdownHook(stopOnExit);
        try {
            long[] javaAt = {-1};
            long answered = firstResolvedAnswer(node, address, start, javaAt);
            double cpu = ProcessStats.cpuTicks(node.pid(), false) * 1000.0 / ticksPerSecond;
            double[] snapshot = snapshotLine(log, wallStart);
            return new Start(javaAt[0] < 0 ? Double.NaN : (javaAt[0] - start) / 1e6, snapshot[0], snapshot[1],
                    answered < 0 ? Double.NaN : (answered - start) / 1e6, answered < 0 ? Double.NaN : cpu, stop(node),
                    answered < 0 ? "no resolved answer within " + BOUND_NANOS / 1_000_000_000 + " s; log: " + tail(log) : null);
        } finally {
            if (node.isAlive()) {
                stop(node);
            }
            Files.deleteIfExists(pidFile);
            Runtime.getRuntime().removeShutdownHook(stopOnExit);
        }
    }

    /**
     * Polls until the node answers the probe host as a known tenant; the nanoTime of that answer, or
     * -1. Notes in {@code javaAt} when the process became the JVM (the launcher execs it).
     */
    private long firstResolvedAnswer(Process node, InetSocketAddress address, long start, long[] javaAt) {
        Path exe = Path.of("/proc", Long.toString(node.pid()), "exe");
        try (Http1Connection c = new Http1Connection(address, null)) {
            while (System.nanoTime() - start < BOUND_NANOS && node.isAlive()) {
                if (javaAt[0] < 0 && isJava(exe)) {
                    javaAt[0] = System.nanoTime();
                }
                try {
                    Http1Connection.Response r = c.get("/", probeHost, true);
                    long at = System.nanoTime();
                    if (new String(r.body(), StandardCharsets.UTF_8).contains("\"type\":\"/problems/no-route\"")) {
                        return at;
                    }
                } catch (IOException e) {
                    c.close(); // not listening yet
                }
                LockSupport.parkNanos(POLL_NANOS);
            }
        }
        return -1;
    }

    private static boolean isJava(Path exe) {
        try {
            return Files.readSymbolicLink(exe).getFileName().toString().equals("java");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** SIGTERM, then at most 60 s for a clean stop (then SIGKILL); the ms it took. */
    private static double stop(Process node) throws InterruptedException {
        long t = System.nanoTime();
        node.destroy();
        if (!node.waitFor(60, TimeUnit.SECONDS)) {
            node.destroyForcibly();
            node.waitFor(10, TimeUnit.SECONDS);
        }
        return (System.nanoTime() - t) / 1e6;
    }

    /** From the node's log: when its snapshot was loaded (ms after the start) and how long loading it took (ms). */
    private static double[] snapshotLine(Path log, long wallStart) {
        try {
            for (String line : Files.readAllLines(log)) {
                if (line.startsWith("{") && line.contains("tenant contexts loaded from a snapshot")) {
                    JsonNode json = JSON.readTree(line);
                    return new double[] {Instant.parse(json.path("ts").asText()).toEpochMilli() - wallStart,
                            json.path("millis").asDouble(Double.NaN)};
                }
            }
        } catch (IOException | RuntimeException e) {
            // the breakdown is informational
        }
        return new double[] {Double.NaN, Double.NaN};
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
            return "(unreadable)";
        }
    }

    /** Ports nobody listens on now, below the usual ephemeral range (so outgoing connections do not take them). */
    static int[] freePorts(int count) throws IOException {
        int[] ports = new int[count];
        int found = 0;
        for (int attempt = 0; attempt < 500 && found < count; attempt++) {
            int port = 20_000 + ThreadLocalRandom.current().nextInt(12_000);
            boolean taken = false;
            for (int i = 0; i < found; i++) {
                taken |= ports[i] == port;
            }
            if (taken) {
                continue;
            }
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                ports[found++] = s.getLocalPort();
            } catch (IOException e) {
                // in use: try another
            }
        }
        if (found < count) {
            throw new IOException("found no free port");
        }
        return ports;
    }
}
