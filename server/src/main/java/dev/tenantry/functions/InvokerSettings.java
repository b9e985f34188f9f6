package dev.tenantry.functions;

import java.time.Duration;

/**
 * How the invoker uses workers: how many requests one worker serves at once before the tenant
 * gets another (up to its plan's concurrency), how long an unused assigned worker stays warm,
 * how many requests may wait per unit of concurrency before the excess is shed (429), and each
 * worker's CPU share (percent of one core) and process limit.
 */
public record InvokerSettings(int workerConcurrency, Duration idleTimeout, int queuePerSlot, int cpuPercent, int pids) {
    public static InvokerSettings defaults() {
        return new InvokerSettings(16, Duration.ofMinutes(5), 4, 100, 64);
    }
}
