package dev.tenantry.runtime;

/**
 * What a worker may use: memory in MiB (the whole sandbox, enforced by the memory cgroup), CPU as
 * a share of one core in percent (100 = one core), and the number of processes and threads.
 */
public record Limits(int memoryMb, int cpuPercent, int pids) {
    public Limits {
        if (memoryMb < 32 || cpuPercent < 1 || pids < 8) {
            throw new IllegalArgumentException("limits out of range: memory " + memoryMb + " MiB (>= 32), cpu "
                    + cpuPercent + " % (>= 1), pids " + pids + " (>= 8)");
        }
    }

    public Limits withMemory(int mb) {
        return new Limits(mb, cpuPercent, pids);
    }
}
