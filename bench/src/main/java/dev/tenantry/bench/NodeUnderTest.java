package dev.tenantry.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * A running Tenantry node the benchmark reads from: its context status (the feed position it
 * holds), its heap from {@code /metrics}, a full GC through {@code jcmd}, its resident memory.
 * {@code token} is the admin token for an API node, null for a gateway node's management port.
 */
record NodeUnderTest(String name, long pid, InetSocketAddress management, InetSocketAddress gateway, String token) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** {@code GET /v1/context/status}. */
    JsonNode status() throws IOException {
        try (Http1Connection c = new Http1Connection(management, token)) {
            Http1Connection.Response r = c.get("/v1/context/status", true);
            if (r.status() != 200) {
                throw new IOException(name + ": GET /v1/context/status answered " + r.status() + ": "
                        + new String(r.body(), StandardCharsets.UTF_8));
            }
            return JSON.readTree(r.body());
        }
    }

    /** The number of the last feed change the node's index holds. */
    long seq() throws IOException {
        return status().path("seq").asLong(-1);
    }

    /** The value of an unlabelled gauge or counter on {@code /metrics} ({@code name} as Prometheus spells it). */
    double metric(String name) throws IOException {
        try (Http1Connection c = new Http1Connection(management, token)) {
            Http1Connection.Response r = c.get("/metrics", true);
            if (r.status() != 200) {
                throw new IOException(this.name + ": GET /metrics answered " + r.status());
            }
            for (String line : new String(r.body(), StandardCharsets.UTF_8).split("\n")) {
                if (line.startsWith(name + " ")) {
                    return Double.parseDouble(line.substring(name.length() + 1).trim());
                }
            }
            throw new IOException(this.name + ": /metrics has no " + name);
        }
    }

    /** Heap in use now: the sum of {@code jvm_memory_used_bytes{area="heap",...}} from {@code /metrics}. */
    double heapUsedBytes() throws IOException {
        try (Http1Connection c = new Http1Connection(management, token)) {
            Http1Connection.Response r = c.get("/metrics", true);
            if (r.status() != 200) {
                throw new IOException(name + ": GET /metrics answered " + r.status());
            }
            double sum = 0;
            int pools = 0;
            for (String line : new String(r.body(), StandardCharsets.UTF_8).split("\n")) {
                if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
                    sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1).trim());
                    pools++;
                }
            }
            if (pools == 0) {
                throw new IOException(name + ": /metrics has no jvm_memory_used_bytes{area=\"heap\"}");
            }
            return sum;
        }
    }

    /** Runs {@code jcmd <pid> GC.run} (a full collection), waiting at most a minute. */
    void fullGc(Path jcmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.run").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                throw new IOException("jcmd " + pid + " GC.run did not finish within 60 s");
            }
            if (p.exitValue() != 0) {
                throw new IOException("jcmd " + pid + " GC.run exited with " + p.exitValue());
            }
        } finally {
            p.destroyForcibly();
        }
    }

    /** The JVM options the node runs with (its command line up to {@code -jar}), from /proc. */
    String jvmOptions() {
        try {
            String[] args = new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")),
                    StandardCharsets.UTF_8).split("\0");
            List<String> options = new ArrayList<>();
            String root = Path.of("").toAbsolutePath() + "/"; // shown relative: results name no machine's paths
            for (int i = 1; i < args.length && !args[i].equals("-jar"); i++) {
                options.add(args[i].replace(root, ""));
            }
            return String.join(" ", options);
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    OptionalLong rssKb() {
        return ProcessStats.statusKb(pid, "VmRSS");
    }

    boolean alive() {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
}
