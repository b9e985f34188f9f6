package dev.tenantry.provision;

import java.time.Duration;

/**
 * How operations run.
 *
 * @param threads        operations of different tenants that may run at once on this node
 * @param maxAttempts    tries of one step before the operation fails and compensates
 * @param firstBackoff   wait before the second try; doubles each time up to {@code maxBackoff}
 * @param maxBackoff     longest wait between tries
 * @param nodeName       this node's name in the queue (who picked what)
 */
public record ProvisionSettings(int threads, int maxAttempts, Duration firstBackoff, Duration maxBackoff, String nodeName) {

    public Duration backoff(int attempts) {
        long millis = firstBackoff.toMillis() << Math.min(20, Math.max(0, attempts - 1));
        return Duration.ofMillis(Math.min(millis, maxBackoff.toMillis()));
    }
}
