package dev.tenantry.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One sandboxed Node.js process and its Unix socket. The host talks HTTP/1.1 to it over
 * {@link #socket()}; {@link #ready()} completes once it listens. A worker belongs to at most one
 * tenant for its whole life ({@link #assign}); {@link #kill} ends it and its cgroup.
 */
public final class Worker {
    private static final Logger LOG = LoggerFactory.getLogger(Worker.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String id;
    private final boolean egress;
    private final Path dir;
    private final Process process;
    private final Cgroups.Cgroup cgroup;
    private final CompletableFuture<Worker> ready = new CompletableFuture<>();
    private final CompletableFuture<String> exited = new CompletableFuture<>();
    private final Deque<String> lastLines = new ArrayDeque<>();
    private final long startedNanos = System.nanoTime();
    private volatile WorkerState state = new WorkerState.Starting();
    private volatile long readyNanos;
    private volatile boolean outOfMemory;
    private volatile String owner;

    private Worker(String id, boolean egress, Path dir, Process process, Cgroups.Cgroup cgroup) {
        this.id = id;
        this.egress = egress;
        this.dir = dir;
        this.process = process;
        this.cgroup = cgroup;
    }

    static Worker start(String id, boolean egress, Path dir, Process process, Cgroups.Cgroup cgroup, WorkerOutput output,
                        Duration startTimeout) {
        Worker worker = new Worker(id, egress, dir, process, cgroup);
        Thread.ofVirtual().name("worker-out-" + id).start(() -> worker.read(output));
        process.onExit().thenRun(() -> worker.exited());
        worker.ready.orTimeout(startTimeout.toMillis(), TimeUnit.MILLISECONDS).whenComplete((w, e) -> {
            if (e != null) {
                worker.kill("did not start within " + startTimeout.toMillis() + " ms");
            }
        });
        return worker;
    }

    public String id() {
        return id;
    }

    public boolean egress() {
        return egress;
    }

    /** The host-side path of the worker's socket. */
    public Path socket() {
        return dir.resolve("worker.sock");
    }

    public WorkerState state() {
        return state;
    }

    /** Completes when the worker listens; fails with what it printed when it dies first or takes too long. */
    public CompletableFuture<Worker> ready() {
        return ready;
    }

    /** Completes with the reason once the process has exited. */
    public CompletableFuture<String> exit() {
        return exited;
    }

    /** Milliseconds from launch to listening (0 until ready). */
    public long startMillis() {
        return readyNanos == 0 ? 0 : (readyNanos - startedNanos) / 1_000_000;
    }

    public long pid() {
        return process.pid();
    }

    /** Gives the worker to a tenant for life; false when it is not idle (already assigned, or dead). */
    public synchronized boolean assign(String tenantId) {
        if (!(state instanceof WorkerState.Idle)) {
            return false;
        }
        state = new WorkerState.Assigned(tenantId);
        owner = tenantId;
        return true;
    }

    /** The tenant this worker belongs (or, once dead, belonged) to, if it was ever assigned. */
    public Optional<String> tenant() {
        return Optional.ofNullable(owner);
    }

    public boolean alive() {
        return !(state instanceof WorkerState.Dead) && !(state instanceof WorkerState.Draining);
    }

    /** Applies new limits to the running worker (the tenant's plan, once assigned). */
    public void limit(Limits limits) {
        cgroup.limit(limits);
    }

    /** The worker is over its memory limit (a lowered limit could not be applied): it is stopped as out of memory. */
    public void markOutOfMemory() {
        outOfMemory = true;
    }

    /** Whether the memory cgroup killed something in this worker, or it was stopped over its limit (remembered after its cgroup is gone). */
    public boolean oomKilled() {
        return outOfMemory || cgroup.oomKilled();
    }

    public Optional<Long> memoryBytes() {
        return cgroup.memoryBytes();
    }

    /** Stops the worker now (SIGKILL to the sandbox, then everything left in its cgroup). */
    public void kill(String reason) {
        synchronized (this) {
            if (state instanceof WorkerState.Dead) {
                return;
            }
            state = new WorkerState.Draining(reason);
        }
        process.destroyForcibly();
        try {
            process.waitFor(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        exited();
    }

    private void exited() {
        String reason;
        synchronized (this) {
            if (state instanceof WorkerState.Dead) {
                return;
            }
            outOfMemory = outOfMemory || cgroup.oomKilled(); // read before the cgroup goes
            reason = state instanceof WorkerState.Draining(String r) ? r
                    : outOfMemory ? "out of memory" : "exited with status " + exitCode();
            state = new WorkerState.Dead(reason);
        }
        cgroup.close();
        Sandbox.deleteTree(dir);
        ready.completeExceptionally(new SandboxException.StartFailed("worker " + id + " " + reason + lastOutput()));
        exited.complete(reason);
    }

    private String exitCode() {
        return process.isAlive() ? "?" : Integer.toString(process.exitValue());
    }

    private String lastOutput() {
        synchronized (lastLines) {
            return lastLines.isEmpty() ? "" : "; it printed: " + String.join(" | ", lastLines);
        }
    }

    private void read(WorkerOutput output) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                remember(line);
                JsonNode message = parse(line);
                if ("ready".equals(message.path("type").asText())) {
                    readyNanos = System.nanoTime();
                    markIdle();
                } else {
                    deliver(output, message);
                }
            }
        } catch (IOException e) {
            LOG.debug("worker {} output closed: {}", id, e.toString());
        }
    }

    private void markIdle() {
        synchronized (this) {
            if (state instanceof WorkerState.Starting) {
                state = new WorkerState.Idle();
            }
        }
        ready.complete(this);
    }

    private void deliver(WorkerOutput output, JsonNode message) {
        try {
            output.line(this, message);
        } catch (RuntimeException e) {
            LOG.warn("worker {}: output handler failed: {}", id, e.toString());
        }
    }

    private void remember(String line) {
        synchronized (lastLines) {
            lastLines.addLast(line.length() > 300 ? line.substring(0, 300) : line);
            if (lastLines.size() > 5) {
                lastLines.removeFirst();
            }
        }
    }

    private static JsonNode parse(String line) {
        if (line.startsWith("{")) {
            try {
                return JSON.readTree(line);
            } catch (IOException ignored) {
                // not one of the bootstrap's lines
            }
        }
        return JsonNodeFactory.instance.objectNode().put("type", "raw").put("line", line);
    }

    /** Runs {@code action} once the worker has died, with the reason. */
    public void onDeath(Consumer<String> action) {
        exited.thenAccept(action);
    }

    @Override
    public String toString() {
        return "worker " + id + " (" + state + ")";
    }
}
