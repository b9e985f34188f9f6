package dev.tenantry.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The node's function workers as /proc shows them: every descendant of the server JVM whose
 * command line ends in {@code /runtime/worker.js} (the bootstrap's path inside the sandbox) is a
 * worker's Node.js process; the {@code bwrap} processes above them are its sandbox helpers. A
 * worker is <em>specialised</em> (assigned to a tenant, a function loaded) once its private
 * {@code /tmp} holds {@code fn/}, which the bootstrap creates when it loads a function; until then
 * it is an idle generic pool worker. Reading another mount namespace's files through
 * {@code /proc/<pid>/root} needs root, which the runtime needs anyway to give each sandbox its own user.
 */
final class FunctionProcs {
    private static final Path PROC = Path.of("/proc");
    private static final String BOOTSTRAP = "/runtime/worker.js";
    private final long serverPid;
    private final Set<Long> specialised = new HashSet<>();

    /** The processes of one scan. */
    record Scan(List<Long> workers, List<Long> specialised, List<Long> idle, List<Long> helpers) {}

    FunctionProcs(long serverPid) {
        this.serverPid = serverPid;
    }

    /** Walks /proc once: the server's worker processes, split into specialised and idle, and their bwrap helpers. */
    Scan scan() {
        Map<Long, List<Long>> children = new HashMap<>();
        try (Stream<Path> entries = Files.list(PROC)) {
            entries.map(p -> p.getFileName().toString()).filter(n -> !n.isEmpty() && n.chars().allMatch(Character::isDigit))
                    .forEach(n -> {
                        long pid = Long.parseLong(n);
                        long ppid = ppid(pid);
                        if (ppid > 0) {
                            children.computeIfAbsent(ppid, k -> new ArrayList<>()).add(pid);
                        }
                    });
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc: " + e.getMessage(), e);
        }
        List<Long> workers = new ArrayList<>();
        List<Long> helpers = new ArrayList<>();
        Deque<Long> todo = new ArrayDeque<>(children.getOrDefault(serverPid, List.of()));
        int bound = 1_000_000;
        while (!todo.isEmpty() && bound-- > 0) {
            long pid = todo.pop();
            todo.addAll(children.getOrDefault(pid, List.of()));
            String comm = comm(pid);
            if (comm.equals("node") && cmdline(pid).endsWith(BOOTSTRAP)) {
                workers.add(pid);
            } else if (comm.equals("bwrap") && cmdline(pid).contains(BOOTSTRAP)) {
                helpers.add(pid);
            }
        }
        specialised.retainAll(new HashSet<>(workers));
        List<Long> spec = new ArrayList<>();
        List<Long> idle = new ArrayList<>();
        for (long w : workers) {
            if (specialised.contains(w) || Files.isDirectory(PROC.resolve(Long.toString(w)).resolve("root/tmp/fn"))) {
                specialised.add(w);
                spec.add(w);
            } else {
                idle.add(w);
            }
        }
        return new Scan(workers, spec, idle, helpers);
    }

    /** The worker sockets under {@code <runtime-dir>/workers}: one per worker that listens. */
    static int sockets(Path runtimeDir) {
        try (Stream<Path> dirs = Files.list(runtimeDir.resolve("workers"))) {
            return (int) dirs.filter(d -> Files.exists(d.resolve("worker.sock"))).count();
        } catch (IOException e) {
            return 0;
        }
    }

    /** Memory of one process: PSS and RSS (kB), and its memory cgroup's usage (bytes; -1 when unknown). */
    record Memory(long pid, long pssKb, long rssKb, long cgroupBytes) {}

    static Memory memory(long pid) {
        OptionalLong pss = ProcessStats.pssKb(pid);
        OptionalLong rss = ProcessStats.statusKb(pid, "VmRSS");
        return new Memory(pid, pss.orElse(-1), rss.orElse(-1), cgroupUsage(pid));
    }

    /** memory.usage_in_bytes (cgroup v1) or memory.current (v2) of the process's memory cgroup. */
    static long cgroupUsage(long pid) {
        try {
            for (String line : Files.readAllLines(PROC.resolve(Long.toString(pid)).resolve("cgroup"))) {
                String[] f = line.split(":", 3);
                if (f.length < 3) {
                    continue;
                }
                Path file;
                if (Arrays.asList(f[1].split(",")).contains("memory")) {
                    file = Path.of("/sys/fs/cgroup/memory" + f[2], "memory.usage_in_bytes");
                } else if (f[0].equals("0") && f[1].isEmpty() && Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers"))) {
                    file = Path.of("/sys/fs/cgroup" + f[2], "memory.current");
                } else {
                    continue;
                }
                return Long.parseLong(Files.readString(file).trim());
            }
        } catch (IOException | RuntimeException e) {
            // gone or unreadable
        }
        return -1;
    }

    /** User+system CPU ticks of these processes (those still alive). */
    static long cpuTicks(List<Long> pids) {
        long sum = 0;
        for (long p : pids) {
            sum += ProcessStats.cpuTicks(p, false);
        }
        return sum;
    }

    /** MemAvailable of /proc/meminfo, kB. */
    static long memAvailableKb() {
        try {
            for (String line : Files.readAllLines(PROC.resolve("meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.substring(13).replace("kB", "").trim());
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return -1;
    }

    private static long ppid(long pid) {
        try {
            String stat = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[1]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static String comm(long pid) {
        try {
            return Files.readString(PROC.resolve(Long.toString(pid)).resolve("comm")).trim();
        } catch (IOException e) {
            return "";
        }
    }

    private static String cmdline(long pid) {
        try {
            byte[] raw = Files.readAllBytes(PROC.resolve(Long.toString(pid)).resolve("cmdline"));
            return new String(raw, StandardCharsets.UTF_8).replace('\0', ' ').trim();
        } catch (IOException e) {
            return "";
        }
    }
}
