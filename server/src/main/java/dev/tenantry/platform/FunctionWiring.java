package dev.tenantry.platform;

import com.github.kagkarlsson.scheduler.task.Task;
import dev.tenantry.catalog.Catalog;
import dev.tenantry.catalog.Functions;
import dev.tenantry.functions.Deployer;
import dev.tenantry.functions.FunctionLogs;
import dev.tenantry.functions.FunctionParts;
import dev.tenantry.functions.Invoker;
import dev.tenantry.functions.InvokerSettings;
import dev.tenantry.functions.ModuleBuilder;
import dev.tenantry.functions.ModuleCollector;
import dev.tenantry.functions.ModuleStates;
import dev.tenantry.functions.ModuleStore;
import dev.tenantry.functions.NpmRegistry;
import dev.tenantry.functions.SecretSealer;
import dev.tenantry.provision.MasterKey;
import dev.tenantry.provision.SecretBox;
import dev.tenantry.runtime.Limits;
import dev.tenantry.runtime.Pool;
import dev.tenantry.runtime.RuntimeSettings;
import dev.tenantry.runtime.Sandbox;
import dev.tenantry.runtime.SandboxException;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the functions side of a node: the sandbox (when node and bubblewrap are here; else
 * functions answer 503 and module builds fail, saying why), the module store, the builder's
 * durable task (scheduler role), the deployer (api role), and the pool and invoker (worker role).
 */
final class FunctionWiring {
    private static final Logger LOG = LoggerFactory.getLogger(FunctionWiring.class);
    /** What the key sealing functions' secrets is derived for from the master key. */
    static final String SECRET_KEY_PURPOSE = "tenantry function secrets v1";
    /** What one module build may use: 1 GiB of memory, one core, 512 processes and threads. */
    static final Limits BUILD_LIMITS = new Limits(1024, 100, 512);
    private final Config config;
    private final FunctionParts parts;
    private final Optional<Sandbox> sandbox;
    private final String unavailable;
    private final RuntimeSettings runtime;
    private FunctionLogs logs;

    private FunctionWiring(Config config, FunctionParts parts, Optional<Sandbox> sandbox, String unavailable, RuntimeSettings runtime) {
        this.config = config;
        this.parts = parts;
        this.sandbox = sandbox;
        this.unavailable = unavailable;
        this.runtime = runtime;
    }

    static FunctionWiring prepare(Config config, Database database, Catalog catalog, Clock clock, MasterKey masterKey) {
        FunctionConfig f = config.functions();
        boolean needed = config.runs(Config.Role.WORKER) || config.runs(Config.Role.SCHEDULER);
        // Only nodes that run or build functions need (and open up) a runtime directory.
        Path runtimeDir = f.runtimeDir().orElseGet(() -> needed ? defaultRuntimeDir(config.dataDir()) : config.dataDir().resolve("runtime"));
        RuntimeSettings runtime = new RuntimeSettings(f.node().orElseGet(() -> which("node")), f.bwrap().orElseGet(() -> which("bwrap")),
                runtimeDir, f.poolSize(), f.egressPoolSize(), new Limits(256, 100, 64), 200_000, Duration.ofSeconds(10),
                Path.of("/sys/fs/cgroup"), Optional.of(which("slirp4netns")).filter(Files::isExecutable), f.egressDeny());
        Optional<Sandbox> sandbox = Optional.empty();
        String unavailable = "";
        if (needed) {
            try {
                sandbox = Optional.of(Sandbox.prepare(runtime));
                LOG.atInfo().addKeyValue("runtimeDir", runtime.runtimeDir().toString())
                        .addKeyValue("cgroups", sandbox.get().cgroups().describe())
                        .addKeyValue("egressNetwork", sandbox.get().egressNetwork()).log("function runtime ready");
            } catch (SandboxException e) {
                unavailable = "the function runtime is not available on this node: " + e.getMessage();
                LOG.warn(unavailable);
            }
        }
        Path blobs = f.blobDir().orElse(config.dataDir().resolve("blobs"));
        ModuleStore store = new ModuleStore(blobs, runtime.moduleDir());
        SecretBox box = SecretBox.of(masterKey.derive(SECRET_KEY_PURPOSE));
        SecretSealer sealer = new SecretSealer() {
            public Functions.SealedSecrets seal(List<String> names, byte[] plaintext, byte[] associatedData) {
                SecretBox.Sealed sealed = box.seal(plaintext, associatedData);
                return new Functions.SealedSecrets(names, sealed.nonce(), sealed.ciphertext());
            }

            public byte[] open(Functions.SealedSecrets sealed, byte[] associatedData) {
                return box.open(new SecretBox.Sealed(sealed.nonce(), sealed.ciphertext()), associatedData);
            }
        };
        FunctionParts parts = new FunctionParts(catalog.functions(), new ModuleStates(database.jdbi(), clock), store, sealer);
        return new FunctionWiring(config, parts, sandbox, unavailable, runtime);
    }

    /** The module builder's task and the recurring collection of unused modules, for the scheduler. */
    List<Task<?>> tasks() {
        FunctionConfig f = config.functions();
        Path npm = runtime.node().resolveSibling("npm");
        ModuleBuilder builder = new ModuleBuilder(sandbox, unavailable, parts.store(), parts.modules(), parts.functions(),
                new ModuleBuilder.Settings(f.npmRegistry(), Files.isExecutable(npm) ? npm : which("npm"), f.installScripts(), 600, BUILD_LIMITS));
        return List.of(builder.task(), collector().task());
    }

    ModuleCollector collector() {
        return new ModuleCollector(parts.modules(), parts.store(), Clock.systemUTC());
    }

    Deployer deployer(Catalog catalog) {
        return new Deployer(parts, new NpmRegistry(config.functions().npmRegistry()), ref -> catalog.tenants().get(ref));
    }

    /** The pool and invoker of a worker node, or why there are none. */
    Optional<Invoker> invoker(Vertx vertx, Database database, Clock clock, Deque<AutoCloseable> resources) {
        if (sandbox.isEmpty()) {
            return Optional.empty();
        }
        FunctionLogs logs = logs(database, clock, resources);
        Pool pool = Pool.start(sandbox.get(), logs);
        resources.push(pool);
        FunctionConfig f = config.functions();
        Invoker invoker = Invoker.create(vertx, pool, parts, new InvokerSettings(f.workerConcurrency(),
                Duration.ofSeconds(f.idleTimeoutSeconds()), 4, 100, 64));
        resources.push(invoker);
        logs.attribute(invoker);
        // Each worker node drops its unpacked copies of modules the scheduler's collection removed.
        ModuleCollector collector = collector();
        long sweeps = vertx.setPeriodic(ModuleCollector.EVERY.toMillis(), id -> Thread.ofVirtual().name("module-sweep").start(collector::sweep));
        resources.push(() -> vertx.cancelTimer(sweeps));
        return Optional.of(invoker);
    }

    String unavailable() {
        return unavailable;
    }

    FunctionParts parts() {
        return parts;
    }

    /** The node's one function log: workers write to it, the API reads it. */
    FunctionLogs logs(Database database, Clock clock, Deque<AutoCloseable> resources) {
        if (logs == null) {
            logs = new FunctionLogs(database.jdbi(), clock, config.functions().logLines());
            resources.push(logs);
        }
        return logs;
    }

    private static Path which(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir, program);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return Path.of("/usr/bin", program); // reported by Sandbox.prepare when missing
    }

    /**
     * The data directory's {@code runtime} when every directory above it lets other users through
     * (sandboxes run as their own users and must reach the bootstrap and module store), else a
     * directory under {@code /var/tmp} named after the data directory.
     */
    static Path defaultRuntimeDir(Path dataDir) {
        Path dir = dataDir.toAbsolutePath();
        boolean open = true;
        for (Path p = dir; p != null; p = p.getParent()) {
            try {
                if (Files.exists(p) && !Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                    open = p.equals(dir) && openDataDir(p);
                    if (!open) {
                        break;
                    }
                }
            } catch (IOException | UnsupportedOperationException e) {
                open = false;
                break;
            }
        }
        if (open) {
            return dir.resolve("runtime");
        }
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(dir.toString().getBytes(StandardCharsets.UTF_8));
            return Path.of("/var/tmp", "tenantry-runtime-" + HexFormat.of().formatHex(hash).substring(0, 12));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Our own data directory may be opened for traversal (its secrets are files of mode 0600). */
    private static boolean openDataDir(Path p) throws IOException {
        var perms = Files.getPosixFilePermissions(p);
        perms.add(PosixFilePermission.OTHERS_EXECUTE);
        perms.add(PosixFilePermission.GROUP_EXECUTE);
        Files.setPosixFilePermissions(p, perms);
        return true;
    }
}
