package dev.tenantry.functions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import dev.tenantry.catalog.Functions;
import dev.tenantry.runtime.Sandbox;
import dev.tenantry.runtime.Limits;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds one {@code name@version} when db-scheduler hands it over: {@code npm install} of that
 * module alone (install scripts off unless configured), in a sandbox with network but nothing
 * of the host's writable except its build directory and npm's cache, and in a cgroup of its own
 * (memory, CPU, processes) that is killed whole when the build ends; the whole dependency
 * closure is packed into the blob store and unpacked read-only into the module store. Then the
 * function versions waiting for it become ready (or fail with npm's reason).
 */
public final class ModuleBuilder {
    private static final Logger LOG = LoggerFactory.getLogger(ModuleBuilder.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_OUTPUT = 64 * 1024;
    private final java.util.Optional<Sandbox> sandbox;
    private final String unavailable;
    private final ModuleStore store;
    private final ModuleStates states;
    private final Functions functions;
    private final Settings settings;

    /** The registry npm installs from, the npm program, whether install scripts run, how long a build may take, and its cgroup limits. */
    public record Settings(URI registry, Path npm, boolean installScripts, long timeoutSeconds, Limits limits) {}

    /** A builder; without a sandbox ({@code unavailable} says why) every build fails with that reason. */
    public ModuleBuilder(java.util.Optional<Sandbox> sandbox, String unavailable, ModuleStore store, ModuleStates states,
                         Functions functions, Settings settings) {
        this.sandbox = sandbox;
        this.unavailable = unavailable;
        this.store = store;
        this.states = states;
        this.functions = functions;
        this.settings = settings;
    }

    /** The db-scheduler task for the scheduler role. */
    public OneTimeTask<Void> task() {
        return Tasks.oneTime(ModuleStates.TASK, Void.class).execute((instance, context) -> build(instance.getId()));
    }

    /** Builds {@code name@version}; never throws: a failure is recorded on the module and its waiting versions. */
    public void build(String key) {
        String[] parts = Module.split(key);
        String name = parts[0];
        String version = parts[1];
        if (store.local(name, version) && states.get(name, version).map(m -> m.state() == Module.State.AVAILABLE).orElse(false)) {
            functions.activateReady();
            return;
        }
        states.building(name, version);
        if (sandbox.isEmpty()) {
            states.failed(name, version, unavailable);
            functions.failPending(name, version, unavailable);
            return;
        }
        Path dir = sandbox.get().settings().runtimeDir().resolve("builds").resolve(ModuleStore.directory(name, version) + "-" + UUID.randomUUID());
        long started = System.nanoTime();
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("package.json"), "{\"name\":\"tenantry-module-build\",\"version\":\"0.0.0\",\"private\":true}");
            install(dir, name, version);
            verify(dir, name, version);
            ModuleStore.Stored stored = store.store(dir);
            store.ensureLocal(name, version, stored.sha256());
            states.available(name, version, stored.sha256(), stored.bytes());
            LOG.atInfo().addKeyValue("module", key).addKeyValue("sha256", stored.sha256()).addKeyValue("bytes", stored.bytes())
                    .addKeyValue("ms", (System.nanoTime() - started) / 1_000_000).log("module built");
            functions.activateReady();
        } catch (IOException | RuntimeException e) {
            String reason = e.getMessage() == null ? e.toString() : e.getMessage();
            LOG.atWarn().addKeyValue("module", key).addKeyValue("reason", reason).log("module build failed");
            states.failed(name, version, reason);
            functions.failPending(name, version, reason);
        } finally {
            ModuleStore.delete(dir);
        }
    }

    private void install(Path dir, String name, String version) throws IOException {
        Path cache = sandbox.get().settings().runtimeDir().resolve("npm-cache");
        Files.createDirectories(cache);
        List<String> argv = new ArrayList<>(List.of(settings.npm().toString(), "install", "--no-audit", "--no-fund",
                "--no-package-lock", "--omit=dev", "--loglevel=error", "--registry=" + settings.registry(), name + "@" + version));
        if (!settings.installScripts()) {
            argv.add(2, "--ignore-scripts");
        }
        Map<Path, String> binds = new LinkedHashMap<>();
        binds.put(dir, "/build");
        binds.put(cache, "/cache");
        Sandbox.Job job = new Sandbox.Job(argv, binds, true,
                Map.of("npm_config_cache", "/cache", "npm_config_update_notifier", "false"), "/build", settings.limits());
        try (Sandbox.Running build = sandbox.get().exec(job)) {
            // Read on another thread, so that a build that hangs without closing its output still times out.
            CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> drain(build.process().getInputStream()),
                    Thread::startVirtualThread);
            if (!build.process().waitFor(settings.timeoutSeconds(), TimeUnit.SECONDS)) {
                build.close();
                throw new IOException("npm install did not finish within " + settings.timeoutSeconds() + " s");
            }
            int exit = build.process().exitValue();
            if (exit != 0) {
                boolean outOfMemory = build.outOfMemory();
                build.cgroup().kill(); // a process the build left behind would hold its output open
                String printed = output.get(10, TimeUnit.SECONDS);
                throw new IOException(outOfMemory
                        ? "npm install " + name + "@" + version + " ran out of memory (builds may use "
                                + settings.limits().memoryMb() + " MiB): " + reason(printed)
                        : "npm install " + name + "@" + version + " failed (exit " + exit + "): " + reason(printed));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("cannot read npm's output: " + e, e);
        }
    }

    /** The first {@link #MAX_OUTPUT} bytes of a build's output; the rest is read and dropped. */
    private static String drain(InputStream in) {
        try (in) {
            byte[] raw = in.readNBytes(MAX_OUTPUT);
            in.transferTo(OutputStream.nullOutputStream());
            return new String(raw, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** npm's own error lines, without its log-file hints. */
    private static String reason(String output) {
        List<String> lines = output.lines().filter(l -> l.startsWith("npm error") || l.startsWith("npm ERR!"))
                .map(l -> l.replaceFirst("^npm (error|ERR!)\\s*", ""))
                .filter(l -> !l.isBlank() && !l.contains("complete log of this run") && !l.contains("/tmp/")).toList();
        String text = String.join("; ", lines.isEmpty() ? output.lines().toList() : lines);
        return text.length() > 2_000 ? text.substring(0, 2_000) + "..." : text;
    }

    private static void verify(Path dir, String name, String version) throws IOException {
        Path manifest = dir.resolve("node_modules").resolve(name).resolve("package.json");
        if (!Files.isRegularFile(manifest)) {
            throw new IOException("npm finished but node_modules/" + name + " is missing");
        }
        JsonNode pkg = JSON.readTree(manifest.toFile());
        if (!version.equals(pkg.path("version").asText())) {
            throw new IOException("npm installed " + name + "@" + pkg.path("version").asText() + ", not " + version);
        }
    }
}
