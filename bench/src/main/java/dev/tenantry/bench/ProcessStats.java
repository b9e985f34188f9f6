package dev.tenantry.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.stream.Stream;

/**
 * Linux /proc readings: a process's resident memory, and the CPU time used by the server JVM,
 * its PostgreSQL, this harness and the whole machine (so a phase can say how busy the machine
 * was with work that is none of ours).
 */
final class ProcessStats {
    private static final Path PROC = Path.of("/proc");

    private ProcessStats() {}

    /** A {@code kB} field of /proc/&lt;pid&gt;/status such as VmRSS or VmHWM, in kB. */
    static OptionalLong statusKb(long pid, String field) {
        try {
            for (String line : Files.readAllLines(PROC.resolve(Long.toString(pid)).resolve("status"))) {
                if (line.startsWith(field + ":")) {
                    return OptionalLong.of(Long.parseLong(line.substring(field.length() + 1).replace("kB", "").trim()));
                }
            }
        } catch (IOException | RuntimeException e) {
            // process gone or not Linux
        }
        return OptionalLong.empty();
    }

    /** The proportional set size of a process (its share of shared pages), in kB. */
    static OptionalLong pssKb(long pid) {
        try {
            for (String line : Files.readAllLines(PROC.resolve(Long.toString(pid)).resolve("smaps_rollup"))) {
                if (line.startsWith("Pss:")) {
                    return OptionalLong.of(Long.parseLong(line.substring(4).replace("kB", "").trim()));
                }
            }
        } catch (IOException | RuntimeException e) {
            // not readable
        }
        return OptionalLong.empty();
    }

    /** The process and its direct children (PostgreSQL's postmaster and its backends). */
    static List<Long> withChildren(long pid) {
        List<Long> out = new ArrayList<>();
        out.add(pid);
        try (Stream<Path> entries = Files.list(PROC)) {
            entries.map(p -> p.getFileName().toString()).filter(n -> n.chars().allMatch(Character::isDigit))
                    .forEach(n -> {
                        String[] f = statFields(Long.parseLong(n));
                        if (f != null && Long.parseLong(f[1]) == pid) {
                            out.add(Long.parseLong(n));
                        }
                    });
        } catch (IOException | RuntimeException e) {
            // best effort
        }
        return out;
    }

    /** Total PSS of a process and its direct children, in kB (0 when unreadable). */
    static long treePssKb(long pid) {
        return withChildren(pid).stream().mapToLong(p -> pssKb(p).orElse(0)).sum();
    }

    /** User+system CPU ticks of a process (all its threads); with reaped children's when asked. */
    static long cpuTicks(long pid, boolean withReapedChildren) {
        String[] f = statFields(pid);
        if (f == null) {
            return 0;
        }
        long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
        if (withReapedChildren) {
            ticks += Long.parseLong(f[13]) + Long.parseLong(f[14]);
        }
        return ticks;
    }

    /** CPU ticks of a process and its live direct children (plus the children it has reaped). */
    static long treeCpuTicks(long pid) {
        long total = 0;
        for (long p : withChildren(pid)) {
            total += cpuTicks(p, p == pid);
        }
        return total;
    }

    /** Busy CPU ticks of the whole machine (all cores) from /proc/stat. */
    static long machineBusyTicks() {
        try {
            String first = Files.readAllLines(PROC.resolve("stat")).get(0);
            String[] f = first.trim().split("\\s+");
            // cpu user nice system idle iowait irq softirq steal guest guest_nice
            long busy = 0;
            for (int i = 1; i < Math.min(f.length, 9); i++) {
                if (i != 4 && i != 5) {
                    busy += Long.parseLong(f[i]);
                }
            }
            return busy;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** Fields of /proc/&lt;pid&gt;/stat after the command name: [0]=state, [1]=ppid, [11]=utime, [12]=stime, ... */
    private static String[] statFields(long pid) {
        try {
            String stat = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** CPU readings at one instant; {@link #since} turns two into cores used per party. */
    record Cpu(long wallNanos, long server, long postgres, long harness, long machine) {
        static Cpu now(long serverPid, long postgresPid) {
            return new Cpu(System.nanoTime(),
                    serverPid > 0 ? cpuTicks(serverPid, false) : 0,
                    postgresPid > 0 ? treeCpuTicks(postgresPid) : 0,
                    cpuTicks(ProcessHandle.current().pid(), false),
                    machineBusyTicks());
        }

        Usage since(Cpu start, int ticksPerSecond) {
            double wall = (wallNanos - start.wallNanos) / 1e9;
            double s = (server - start.server) / (double) ticksPerSecond;
            double p = (postgres - start.postgres) / (double) ticksPerSecond;
            double h = (harness - start.harness) / (double) ticksPerSecond;
            double m = (machine - start.machine) / (double) ticksPerSecond;
            return new Usage(wall, s, p, h, Math.max(0, m - s - p - h));
        }
    }

    /** CPU seconds used during {@code wallSeconds} by each party; "other" is everything else on the machine. */
    record Usage(double wallSeconds, double serverCpu, double postgresCpu, double harnessCpu, double otherCpu) {
        Usage plus(Usage u) {
            return new Usage(wallSeconds + u.wallSeconds, serverCpu + u.serverCpu, postgresCpu + u.postgresCpu,
                    harnessCpu + u.harnessCpu, otherCpu + u.otherCpu);
        }

        static final Usage ZERO = new Usage(0, 0, 0, 0, 0);
    }
}
