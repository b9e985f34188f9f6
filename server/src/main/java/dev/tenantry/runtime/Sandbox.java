package dev.tenantry.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts worker processes: Node.js running the bootstrap inside bubblewrap with its own user,
 * PID, IPC, mount, UTS, cgroup and network namespaces; a read-only view of the system, the
 * bootstrap and the module store; a private tmpfs; a clean environment; and the worker's cgroup
 * joined before bubblewrap starts. One-off
 * jobs (module builds) run the same way, each in a cgroup of its own.
 *
 * <p>Workers without egress have no network at all. An egress worker gets a network namespace of
 * its own, reaching out through slirp4netns (user-mode NAT, in the worker's cgroup) that refuses
 * the host's loopback, so that the node's API, its database and Redis on 127.0.0.1 are out of
 * reach, and so are the egress-deny blocks; where that cannot be had (see {@link #egressNetwork()})
 * it shares the host's network, and the start log says so.
 */
public final class Sandbox {
    /** Where, inside the sandbox, the worker's socket directory, the bootstrap and the module store are. */
    public static final String SOCKET_DIR = "/run/tenantry";
    public static final String MODULES = "/modules";
    private static final String BOOTSTRAP = "/runtime";
    /** Parts of the host's /etc a Node process needs (name resolution, TLS roots, time zone). */
    private static final List<String> ETC = List.of("/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf",
            "/etc/ssl", "/etc/ca-certificates", "/etc/localtime", "/etc/alternatives");
    private static final Logger LOG = LoggerFactory.getLogger(Sandbox.class);
    /** The egress network's resolver: slirp4netns's DNS forwarder. */
    private static final String EGRESS_RESOLV_CONF = "nameserver 10.0.2.3\n";
    private static final Path UNSHARE = Path.of("/usr/bin/unshare");
    /** iproute2's ip, which makes the egress-deny routes. */
    private static final java.util.Optional<Path> IP = java.util.stream.Stream.of("/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip")
            .map(Path::of).filter(Files::isExecutable).findFirst();
    /**
     * Run inside the egress worker's new network namespace, still as root: waits (at most ~5 s) for
     * slirp4netns to bring up its default route, makes the blocks in TENANTRY_EGRESS_DENY
     * unreachable (the sandbox cannot change routes: the namespace is not its own user's), then
     * becomes the sandbox.
     */
    private static final String AWAIT_NETWORK = "i=0; until grep -qs '^tap0' /proc/net/route; do i=$((i+1)); "
            + "if [ $i -gt 2500 ]; then echo 'the worker got no network: slirp4netns did not configure it'; exit 98; fi; "
            + "sleep 0.002; done; "
            + "for b in $TENANTRY_EGRESS_DENY; do \"$TENANTRY_IP\" route add unreachable \"$b\" || { echo \"cannot deny $b\"; exit 96; }; done; "
            + "exec \"$@\"";
    private final RuntimeSettings settings;
    private final Cgroups cgroups;
    private final boolean root;
    /** Why egress workers share the host's network; empty when they get a network of their own. */
    private final java.util.Optional<String> sharedEgressReason;
    private final AtomicInteger sequence = new AtomicInteger();
    /** Where this node starts in the uid range, so that two nodes on one machine rarely hand out the same uids. */
    private final int uidOffset = ThreadLocalRandom.current().nextInt(65_535);
    private final String run = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt(0x10000), 4);

    private Sandbox(RuntimeSettings settings, Cgroups cgroups) {
        this.settings = settings;
        this.cgroups = cgroups;
        this.root = "root".equals(System.getProperty("user.name"));
        this.sharedEgressReason = java.util.Optional.ofNullable(!root ? "not root"
                : cgroups instanceof Cgroups.None ? "no cgroups"
                : settings.slirp4netns().isEmpty() ? "slirp4netns not installed"
                : !Files.isExecutable(UNSHARE) ? UNSHARE + " missing"
                : IP.isEmpty() && !settings.egressDeny().isEmpty() ? "ip (iproute2) missing, needed for egress-deny"
                : !canUnshareNetwork() ? "cannot make a network namespace with /dev/net/tun here"
                : null);
    }

    /** Prepares the runtime directory (bootstrap, workers, module store) and finds the cgroups. */
    public static Sandbox prepare(RuntimeSettings settings) {
        for (Path binary : List.of(settings.node(), settings.bwrap())) {
            if (!Files.isExecutable(binary)) {
                throw new SandboxException(binary + " is not an executable file: install "
                        + (binary.equals(settings.bwrap()) ? "bubblewrap" : "Node.js 20 or newer")
                        + " or point the runtime at it (see docs/operations.md)");
            }
        }
        requireNode20(settings.node());
        try {
            Path dir = settings.runtimeDir();
            for (Path d : List.of(dir, dir.resolve("bootstrap"), dir.resolve("workers"), settings.moduleDir())) {
                Files.createDirectories(d);
                Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            Path resolv = dir.resolve("egress-resolv.conf");
            Files.writeString(resolv, EGRESS_RESOLV_CONF);
            Files.setPosixFilePermissions(resolv, PosixFilePermissions.fromString("rw-r--r--"));
            try (InputStream in = Sandbox.class.getResourceAsStream("worker.js")) {
                Path script = dir.resolve("bootstrap/worker.js");
                Files.write(script, in.readAllBytes());
                Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rw-r--r--"));
            }
        } catch (IOException e) {
            throw new SandboxException("cannot prepare the runtime directory " + settings.runtimeDir() + ": " + e.getMessage(), e);
        }
        return new Sandbox(settings, Cgroups.detect(settings.cgroupRoot()));
    }

    /** Whether this process may make a network namespace with a TAP device (slirp4netns needs /dev/net/tun). */
    private static boolean canUnshareNetwork() {
        if (!Files.exists(Path.of("/dev/net/tun"))) {
            return false;
        }
        try {
            Process p = new ProcessBuilder(UNSHARE.toString(), "--net", "--", "true").redirectErrorStream(true).start();
            p.getInputStream().transferTo(OutputStream.nullOutputStream());
            return p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void requireNode20(Path node) {
        try {
            Process p = new ProcessBuilder(node.toString(), "--version").redirectErrorStream(true).start();
            String version = new String(p.getInputStream().readAllBytes()).strip();
            p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            int major = Integer.parseInt(version.replaceFirst("^v", "").split("\\.")[0]);
            if (major < 20) {
                throw new SandboxException(node + " is Node.js " + version + "; functions need Node.js 20 or newer");
            }
        } catch (IOException | NumberFormatException e) {
            throw new SandboxException("cannot tell the version of " + node + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException("interrupted while checking " + node, e);
        }
    }

    public RuntimeSettings settings() {
        return settings;
    }

    public Cgroups cgroups() {
        return cgroups;
    }

    /** How egress workers reach the network, for the start log. */
    public String egressNetwork() {
        return sharedEgressReason.map(why -> "the host's (" + why + ")")
                .orElseGet(() -> "own namespace (slirp4netns, host loopback refused"
                        + (settings.egressDeny().isEmpty() ? "" : "; unreachable: " + String.join(",", settings.egressDeny())) + ")");
    }

    /** Starts one generic worker; it is {@code Starting} until it prints that it listens. */
    public Worker launch(boolean egress, WorkerOutput output) {
        int n = sequence.incrementAndGet();
        String id = "w" + run + "-" + n;
        int uid = root ? settings.uidBase() + ((uidOffset + n) % 65_535) : -1;
        Path dir = settings.runtimeDir().resolve("workers").resolve(id);
        Cgroups.Cgroup cgroup = cgroups.create("tenantry-" + id, settings.poolLimits());
        try {
            Files.createDirectories(dir);
            if (uid >= 0) {
                Files.setAttribute(dir, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(dir, "unix:gid", uid, LinkOption.NOFOLLOW_LINKS);
            }
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            boolean ownNetwork = egress && sharedEgressReason.isEmpty();
            Process process = start(command(uid, egress, ownNetwork, dir), cgroup,
                    ownNetwork ? Map.of("TENANTRY_EGRESS_DENY", String.join(" ", settings.egressDeny()),
                            "TENANTRY_IP", IP.map(Path::toString).orElse("ip")) : Map.of());
            if (ownNetwork) {
                connect(process, cgroup, id);
            }
            return Worker.start(id, egress, dir, process, cgroup, output, settings.startTimeout());
        } catch (IOException | RuntimeException e) {
            cgroup.close();
            deleteTree(dir);
            throw new SandboxException("cannot start a worker: " + e.getMessage(), e);
        }
    }

    /**
     * A one-off command in a sandbox (the module builder's {@code npm install}): its own user,
     * the system read-only, {@code binds} writable (host path → sandbox path), network only with
     * {@code network}, a clean environment plus {@code env}, and a cgroup of its own with
     * {@code limits}. The caller reads its output.
     */
    public record Job(List<String> argv, Map<Path, String> binds, boolean network,
                      Map<String, String> env, String chdir, Limits limits) {}

    /** A started job: its process, and the cgroup that holds it and all it starts. Closing kills them all. */
    public record Running(Process process, Cgroups.Cgroup cgroup) implements AutoCloseable {
        /** Whether the kernel killed a process of the job for going over its memory limit. */
        public boolean outOfMemory() {
            return cgroup.oomKilled();
        }

        @Override
        public void close() {
            process.destroyForcibly();
            cgroup.close();
        }
    }

    /** Starts a job; its writable binds are handed to the job's user first. */
    public Running exec(Job job) throws IOException {
        int uid = root ? settings.uidBase() + 65_535 : -1;
        if (uid >= 0) {
            for (Path p : job.binds().keySet()) {
                chownTree(p, uid);
            }
        }
        Cgroups.Cgroup cgroup = cgroups.create("tenantry-j" + run + "-" + sequence.incrementAndGet(), job.limits());
        try {
            List<String> c = joiningCgroups();
            c.addAll(sandboxed(uid, job.network(), job.env()));
            job.binds().forEach((host, inside) -> c.addAll(List.of("--bind", host.toString(), inside)));
            c.addAll(List.of("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--chdir", job.chdir(), "--"));
            c.addAll(job.argv());
            return new Running(start(c, cgroup, Map.of()), cgroup);
        } catch (IOException | RuntimeException e) {
            cgroup.close();
            throw e;
        }
    }

    /** Starts {@code command} (which begins with {@link #joiningCgroups()}) in {@code cgroup}, with only {@code env}. */
    private static Process start(List<String> command, Cgroups.Cgroup cgroup, Map<String, String> env) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().clear();
        builder.environment().putAll(env);
        builder.environment().put("TENANTRY_CGROUPS", String.join(" ", cgroup.procs().stream().map(Path::toString).toList()));
        return builder.start();
    }

    /** A shell that moves itself into the cgroups named by TENANTRY_CGROUPS, then runs the rest of the command. */
    private static List<String> joiningCgroups() {
        return new ArrayList<>(List.of("/bin/sh", "-c",
                "for p in $TENANTRY_CGROUPS; do echo $$ > \"$p\" || exit 97; done; exec \"$@\"", "sh"));
    }

    private static void chownTree(Path top, int uid) throws IOException {
        try (var paths = Files.walk(top)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(p, "unix:gid", uid, LinkOption.NOFOLLOW_LINKS);
            }
        }
    }

    /**
     * Gives an egress worker's network namespace its way out: once the worker has left the host's
     * namespace, slirp4netns (in the worker's cgroup, so it goes with the worker) configures it.
     * A failure shows as the worker not starting, with the reason in its output.
     */
    private void connect(Process worker, Cgroups.Cgroup cgroup, String id) {
        Thread.ofVirtual().name("network-" + id).start(() -> {
            try {
                Path mine = Files.readSymbolicLink(Path.of("/proc/self/ns/net"));
                Path theirs = Path.of("/proc", Long.toString(worker.pid()), "ns", "net");
                long end = System.nanoTime() + settings.startTimeout().toNanos();
                while (worker.isAlive() && Files.readSymbolicLink(theirs).equals(mine)) {
                    if (System.nanoTime() > end) {
                        throw new IOException("it did not leave the host's network namespace");
                    }
                    Thread.sleep(1);
                }
                if (!worker.isAlive()) {
                    return; // its pid may be another process's by now
                }
                List<String> c = joiningCgroups();
                // --exit-fd=0: its stdin is a pipe from this node, so it ends with the node even after a kill -9.
                c.addAll(List.of(settings.slirp4netns().orElseThrow().toString(), "--configure", "--mtu=65520",
                        "--disable-host-loopback", "--enable-sandbox", "--enable-seccomp", "--exit-fd=0",
                        Long.toString(worker.pid()), "tap0"));
                Process slirp = start(c, cgroup, Map.of());
                byte[] said = slirp.getInputStream().readNBytes(4096);
                slirp.getInputStream().transferTo(OutputStream.nullOutputStream());
                if (worker.isAlive() && slirp.waitFor() != 0) {
                    LOG.warn("worker {}: slirp4netns exited with {}: {}", id, slirp.exitValue(), new String(said).strip());
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("worker {}: cannot give it a network: {}", id, e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    private List<String> command(int uid, boolean egress, boolean ownNetwork, Path dir) {
        List<String> c = joiningCgroups();
        if (ownNetwork) { // a new network namespace, which bubblewrap then shares with the sandbox
            c.addAll(List.of(UNSHARE.toString(), "--net", "--", "/bin/sh", "-c", AWAIT_NETWORK, "sh"));
        }
        c.addAll(sandboxed(uid, egress, Map.of("TENANTRY_SOCKET", SOCKET_DIR + "/worker.sock")));
        if (ownNetwork) {
            c.addAll(List.of("--ro-bind", settings.runtimeDir().resolve("egress-resolv.conf").toString(), "/etc/resolv.conf"));
        }
        c.addAll(List.of("--hostname", "tenant", "--ro-bind", settings.runtimeDir().resolve("bootstrap").toString(), BOOTSTRAP,
                "--ro-bind", settings.moduleDir().toString(), MODULES,
                "--bind", dir.toString(), SOCKET_DIR,
                "--proc", "/proc", "--dev", "/dev", "--size", Long.toString(64L << 20), "--tmpfs", "/tmp",
                "--chdir", "/tmp", "--", settings.node().toString(), "--max-semi-space-size=2", "--experimental-vm-modules",
                // An idle worker's heap is not shrunk: V8's memory reducer collected each pooled worker
                // fully some seconds into its wait (about 50 ms of CPU, in the middle of other tenants'
                // cold starts), and a worker's first call after it ran slower. Costs about 5 MiB a worker.
                "--no-memory-reducer",
                BOOTSTRAP + "/worker.js"));
        return c;
    }

    /**
     * What every sandboxed command starts with: the switch to its own host user (when this node
     * runs as root), bubblewrap's namespaces, a clean environment plus {@code env}, the network
     * only with {@code network}, and the read-only system.
     */
    private List<String> sandboxed(int uid, boolean network, Map<String, String> env) {
        List<String> c = new ArrayList<>();
        if (uid >= 0) {
            c.addAll(List.of("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups", "--inh-caps=-all", "--"));
        }
        c.addAll(List.of(settings.bwrap().toString(), "--unshare-all", "--die-with-parent", "--new-session",
                "--uid", "1000", "--gid", "1000", "--clearenv", "--setenv", "HOME", "/tmp", "--setenv", "TMPDIR", "/tmp",
                "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin"));
        env.forEach((k, v) -> c.addAll(List.of("--setenv", k, v)));
        if (network) {
            c.add("--share-net");
        }
        systemView(c);
        return c;
    }

    /** /usr read-only; /bin, /lib, /lib64, /sbin as the host has them (merged-/usr links or directories). */
    private void systemView(List<String> c) {
        c.addAll(List.of("--ro-bind", "/usr", "/usr"));
        for (String top : List.of("/bin", "/sbin", "/lib", "/lib64", "/lib32")) {
            Path p = Path.of(top);
            if (Files.isSymbolicLink(p)) {
                c.addAll(List.of("--symlink", readLink(p), top));
            } else if (Files.isDirectory(p)) {
                c.addAll(List.of("--ro-bind", top, top));
            }
        }
        for (String etc : ETC) {
            if (Files.exists(Path.of(etc))) {
                c.addAll(List.of("--ro-bind", etc, etc));
            }
        }
        Path prefix = settings.node().toAbsolutePath().getParent().getParent();
        if (!prefix.startsWith("/usr")) { // a Node installed elsewhere (e.g. /opt/node)
            c.addAll(List.of("--ro-bind", prefix.toString(), prefix.toString()));
        }
    }

    private static String readLink(Path p) {
        try {
            return Files.readSymbolicLink(p).toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteTree(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // already gone
        }
    }
}
