package dev.tenantry.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where workers' cgroups are made: the unified hierarchy (cgroup v2) when its memory, cpu and
 * pids controllers can be enabled under {@code <root>/tenantry}, else the v1 hierarchies of those
 * controllers, else none (limits then not enforced; said once at start).
 */
public sealed interface Cgroups {
    Logger LOG = LoggerFactory.getLogger(Cgroups.class);

    /** A new cgroup for one worker, with these limits. */
    Cgroup create(String name, Limits limits);

    /** The hierarchy in use, for logs and the health answer. */
    String describe();

    /** Finds what this machine offers under {@code root} (normally {@code /sys/fs/cgroup}). */
    static Cgroups detect(Path root) {
        Path unified = root.resolve("cgroup.controllers");
        try {
            if (Files.isRegularFile(unified) && Files.readString(unified).contains("memory")) {
                Path parent = root.resolve("tenantry");
                Files.createDirectories(parent);
                Files.writeString(root.resolve("cgroup.subtree_control"), "+memory +cpu +pids");
                Files.writeString(parent.resolve("cgroup.subtree_control"), "+memory +cpu +pids");
                sweep(parent);
                return new V2(parent);
            }
            List<String> controllers = List.of("memory", "cpu", "pids");
            if (controllers.stream().allMatch(c -> Files.isWritable(root.resolve(c)))) {
                for (String c : controllers) {
                    Files.createDirectories(root.resolve(c).resolve("tenantry"));
                    sweep(root.resolve(c).resolve("tenantry"));
                }
                return new V1(root);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("cgroups unavailable ({}): workers run without memory, cpu and pids limits", e.toString());
            return new None();
        }
        LOG.warn("no writable cgroup hierarchy under {}: workers run without memory, cpu and pids limits", root);
        return new None();
    }

    /**
     * Removes workers' and jobs' cgroups that a node killed without a clean stop left behind: empty ones
     * (no process) older than a minute, so that another node's worker just being made is spared.
     */
    private static void sweep(java.nio.file.Path parent) {
        try (var dirs = Files.list(parent)) {
            long cutoff = System.currentTimeMillis() - 60_000;
            for (java.nio.file.Path d : (Iterable<java.nio.file.Path>) dirs::iterator) {
                if (d.getFileName().toString().startsWith("tenantry-") && Files.isDirectory(d)
                        && Files.getLastModifiedTime(d).toMillis() < cutoff
                        && Files.readString(d.resolve("cgroup.procs")).isBlank()) {
                    Sysfs.rmdir(List.of(d));
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("cgroup sweep skipped: {}", e.toString());
        }
    }

    /** One worker's cgroup: the files a process joins it through, its limits, and what it saw. */
    interface Cgroup extends AutoCloseable {
        /** The {@code cgroup.procs} files a starting process writes its pid to, one per hierarchy. */
        List<Path> procs();

        void limit(Limits limits);

        /** Whether the kernel killed a process here for running out of memory. */
        boolean oomKilled();

        /** Memory in use now, in bytes, when known. */
        Optional<Long> memoryBytes();

        /** Kills whatever still runs inside; the cgroup stays. */
        void kill();

        /** Kills whatever still runs inside and removes the cgroup. */
        @Override
        void close();
    }

    record V2(Path parent) implements Cgroups {
        @Override
        public Cgroup create(String name, Limits limits) {
            Path dir = parent.resolve(name);
            Sysfs.mkdir(dir);
            Cgroup cgroup = new Cgroup() {
                public List<Path> procs() {
                    return List.of(dir.resolve("cgroup.procs"));
                }

                public void limit(Limits l) {
                    Sysfs.write(dir.resolve("memory.max"), Long.toString(l.memoryMb() * 1024L * 1024L));
                    Sysfs.tryWrite(dir.resolve("memory.swap.max"), "0");
                    Sysfs.write(dir.resolve("cpu.max"), (l.cpuPercent() * 1000) + " 100000");
                    Sysfs.write(dir.resolve("pids.max"), Integer.toString(l.pids()));
                }

                public boolean oomKilled() {
                    return Sysfs.field(dir.resolve("memory.events"), "oom_kill").orElse(0L) > 0;
                }

                public Optional<Long> memoryBytes() {
                    return Sysfs.number(dir.resolve("memory.current"));
                }

                public void kill() {
                    Sysfs.tryWrite(dir.resolve("cgroup.kill"), "1");
                }

                public void close() {
                    kill();
                    Sysfs.rmdir(List.of(dir));
                }
            };
            cgroup.limit(limits);
            return cgroup;
        }

        @Override
        public String describe() {
            return "cgroup v2 at " + parent;
        }
    }

    record V1(Path root) implements Cgroups {
        @Override
        public Cgroup create(String name, Limits limits) {
            Path memory = root.resolve("memory/tenantry").resolve(name);
            Path cpu = root.resolve("cpu/tenantry").resolve(name);
            Path pids = root.resolve("pids/tenantry").resolve(name);
            List<Path> dirs = List.of(memory, cpu, pids);
            dirs.forEach(Sysfs::mkdir);
            Cgroup cgroup = new Cgroup() {
                public List<Path> procs() {
                    return dirs.stream().map(d -> d.resolve("cgroup.procs")).toList();
                }

                public void limit(Limits l) {
                    String bytes = Long.toString(l.memoryMb() * 1024L * 1024L);
                    // memsw must stay >= the memory limit: raise order depends on direction, so set both twice.
                    Sysfs.tryWrite(memory.resolve("memory.memsw.limit_in_bytes"), bytes);
                    Sysfs.write(memory.resolve("memory.limit_in_bytes"), bytes);
                    Sysfs.tryWrite(memory.resolve("memory.memsw.limit_in_bytes"), bytes);
                    Sysfs.tryWrite(memory.resolve("memory.swappiness"), "0");
                    Sysfs.write(cpu.resolve("cpu.cfs_period_us"), "100000");
                    Sysfs.write(cpu.resolve("cpu.cfs_quota_us"), Integer.toString(l.cpuPercent() * 1000));
                    Sysfs.write(pids.resolve("pids.max"), Integer.toString(l.pids()));
                }

                public boolean oomKilled() {
                    return Sysfs.field(memory.resolve("memory.oom_control"), "oom_kill").orElse(0L) > 0;
                }

                public Optional<Long> memoryBytes() {
                    return Sysfs.number(memory.resolve("memory.usage_in_bytes"));
                }

                public void kill() {
                    Sysfs.killAll(memory.resolve("cgroup.procs"));
                }

                public void close() {
                    kill();
                    Sysfs.rmdir(dirs);
                }
            };
            cgroup.limit(limits);
            return cgroup;
        }

        @Override
        public String describe() {
            return "cgroup v1 (memory, cpu, pids) under " + root;
        }
    }

    record None() implements Cgroups {
        @Override
        public Cgroup create(String name, Limits limits) {
            return new Cgroup() {
                public List<Path> procs() {
                    return List.of();
                }

                public void limit(Limits l) {
                }

                public boolean oomKilled() {
                    return false;
                }

                public Optional<Long> memoryBytes() {
                    return Optional.empty();
                }

                public void kill() {
                }

                public void close() {
                }
            };
        }

        @Override
        public String describe() {
            return "none (limits not enforced)";
        }
    }
}
