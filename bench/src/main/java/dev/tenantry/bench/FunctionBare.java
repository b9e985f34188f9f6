package dev.tenantry.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The peer of a Tenantry function: a bare Node.js HTTP server answering "ok" on a Unix socket,
 * inside bubblewrap with every namespace unshared, the system read-only and a private /tmp
 * ({@code bwrap --unshare-all --die-with-parent --ro-bind /usr /usr ... node -e <server>}), with
 * none of Tenantry in between. It prints "ready" once it listens. Used long-lived (the warm
 * latency's peer) and one process per request (the cold start's baseline).
 */
final class FunctionBare implements AutoCloseable {
    /** The server: the same keep-alive time as the worker bootstrap's; "ready" on stdout once it listens. */
    static final String SERVER = "const http = require('node:http');"
            + "const s = http.createServer((req, res) => { res.end('ok'); });"
            + "s.keepAliveTimeout = 600000;"
            + "s.listen('/run/w/s.sock', () => process.stdout.write('ready\\n'));";
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("bare-timer").factory());

    static {
        // Whatever happens to the harness, no sandbox it started outlives it (bwrap --die-with-parent as well).
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly)));
    }

    private final Process process;
    private final Path dir;
    private final long startedNanos;
    private final long readyNanos;

    private FunctionBare(Process process, Path dir, long startedNanos, long readyNanos) {
        this.process = process;
        this.dir = dir;
        this.startedNanos = startedNanos;
        this.readyNanos = readyNanos;
    }

    /** The bwrap command line: the host's merged-/usr links as they are here. */
    static List<String> command(Path bwrap, Path node, Path dir) {
        List<String> c = new ArrayList<>(List.of(bwrap.toString(), "--unshare-all", "--die-with-parent", "--ro-bind", "/usr", "/usr"));
        for (String top : List.of("/bin", "/sbin", "/lib", "/lib64")) {
            Path p = Path.of(top);
            try {
                if (Files.isSymbolicLink(p)) {
                    c.addAll(List.of("--symlink", Files.readSymbolicLink(p).toString(), top));
                } else if (Files.isDirectory(p)) {
                    c.addAll(List.of("--ro-bind", top, top));
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot read the link " + top + ": " + e.getMessage(), e);
            }
        }
        c.addAll(List.of("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--bind", dir.toString(), "/run/w",
                node.toString(), "-e", SERVER));
        return c;
    }

    /** Starts one sandboxed server in {@code dir} and waits (at most 10 s) until it says it listens. */
    static FunctionBare start(Path bwrap, Path node, Path dir) throws IOException {
        Files.createDirectories(dir);
        long started = System.nanoTime();
        Process p = new ProcessBuilder(command(bwrap, node, dir)).redirectErrorStream(true).start();
        LIVE.add(p);
        var timeout = TIMER.schedule(p::destroyForcibly, 10, TimeUnit.SECONDS);
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            StringBuilder seen = new StringBuilder();
            for (String line = out.readLine(); ; line = out.readLine()) {
                if (line == null) {
                    throw new IOException("the bare sandboxed Node server exited before it listened (exit "
                            + (p.isAlive() ? "?" : p.exitValue()) + "): " + seen.toString().strip());
                }
                if (line.equals("ready")) {
                    break;
                }
                if (seen.length() < 2_000) {
                    seen.append(line).append('\n');
                }
            }
            return new FunctionBare(p, dir, started, System.nanoTime());
        } catch (IOException | RuntimeException e) {
            stop(p, dir);
            throw e;
        } finally {
            timeout.cancel(false);
        }
    }

    /**
     * The cold-start baseline once: start a sandboxed server, wait until it listens, one request
     * over its socket, stop it. Nanoseconds from the start to the answer.
     */
    static long once(Path bwrap, Path node, Path dir) throws IOException {
        FunctionBare b = start(bwrap, node, dir);
        try (FunctionHttp c = FunctionHttp.unix(b.socket(), 10_000)) {
            FunctionHttp.Response r = c.get("/", true);
            long answered = System.nanoTime();
            if (r.status() != 200 || !r.text().equals("ok")) {
                throw new IOException("the bare server answered " + r.status() + ": " + r.text());
            }
            return answered - b.startedNanos;
        } finally {
            b.close();
        }
    }

    Path socket() {
        return dir.resolve("s.sock");
    }

    /** Milliseconds from the process start to "ready". */
    double startMillis() {
        return (readyNanos - startedNanos) / 1e6;
    }

    long pid() {
        return process.pid();
    }

    @Override
    public void close() {
        stop(process, dir);
    }

    private static void stop(Process p, Path dir) {
        p.destroyForcibly();
        try {
            p.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LIVE.remove(p);
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // already gone
        }
    }
}
